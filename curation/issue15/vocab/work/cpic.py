import subprocess, re, json
R='/work/.mirror/cpicpgx+cpic-data/repo'
def show(p): return subprocess.run(['git','-C',R,'show','HEAD:'+p],capture_output=True,text=True).stdout
files=sorted(subprocess.run(['git','-C',R,'ls-tree','-r','--name-only','HEAD','src/main/resources/db/migration/'],capture_output=True,text=True).stdout.split(), key=lambda f:int(re.search(r'V(\d+)__',f).group(1)) if re.search(r'V(\d+)__',f) else 0)
drugs={}
for f in files:
    t=show(f)
    m=re.search(r'COPY (?:cpic\.)?drug \(([^)]*)\) FROM stdin;\n(.*?)\n\\\.',t,re.S)
    if m:
        cols=[c.strip().lower() for c in m.group(1).split(',')]
        for line in m.group(2).split('\n'):
            v=line.split('\t'); d=dict(zip(cols,v)); drugs[d['drugid']]=d
    for m in re.finditer(r"insert into (?:cpic\.)?drug\s*\(([^)]*)\)\s*values\s*\((.*?)\)\s*(?:on conflict[^;]*)?;",t,re.I|re.S):
        cols=[c.strip().lower() for c in m.group(1).split(',')]
        vals=re.findall(r"'((?:[^']|'')*)'|(null)",m.group(2),re.I)
        vals=[a for a,b in vals]
        if len(vals)==len(cols):
            d=dict(zip(cols,vals)); drugs.setdefault(d['drugid'],d)
        else: print('skip',f,m.group(0)[:100])
    for m in re.finditer(r"update (?:cpic\.)?drug\s+set\s+(atcid|rxnormid|name)\s*=\s*'([^']*)'\s+where\s+(drugid|name)\s*=\s*'([^']*)'",t,re.I):
        fld,val,key,kv=m.groups()
        for d in drugs.values():
            if d.get(key.lower())==kv: d[fld.lower()]=val
out={}
for d in drugs.values():
    if d.get('rxnormid'):
        atc=[a for a in d.get('atcid','').strip('{}').split(',') if a]
        out[d['name'].lower()]=dict(rxcui=d['rxnormid'],atc=atc,drugid=d['drugid'])
json.dump(out,open('cpic_drugs.json','w'),indent=0,sort_keys=True)
print(len(drugs),len(out))
