import json, pickle, re, csv, collections
d=pickle.load(open('unii.pkl','rb')); N2U=d['name2unii']; U2D=d['unii2disp']; BN=d['bn']; NBU=d['names_by_unii']
cpic=json.load(open('cpic_drugs.json'))
us_rows=json.load(open('us_rows.json'))
KB="amitriptyline aspirin azathioprine baclofen capsaicin-cream capsaicin-patch carbamazepine celecoxib clonidine-topical cyanocobalamin cyclobenzaprine cyclosporine desipramine desvenlafaxine dexamethasone diazepam dronabinol duloxetine fluoxetine gabapentin gabapentin-enacarbil hydrochlorothiazide hydroxocobalamin ibuprofen imipramine ivig ketamine lacosamide lamotrigine levetiracetam lidocaine-plaster lorazepam methadone methylprednisolone mexiletine milnacipran morphine mycophenolate nabiximols naproxen nortriptyline onabotulinumtoxina oxcarbazepine oxycodone paroxetine phenelzine phenytoin prednisolone pregabalin rituximab sertraline tapentadol thiamine tizanidine topiramate tramadol valproate venlafaxine warfarin ziconotide".split()
assert len(KB)==60
# England ranked rows
eng={}
for r in csv.DictReader(open('../top_england.csv')): eng[r['ingredients']]=int(r['rank'])
# UK combos: slug -> (ingredients, other names)
UK_COMBOS={
 'codeine-and-acetaminophen':(['codeine','acetaminophen'],['co-codamol','paracetamol and codeine']),
 'dihydrocodeine-and-acetaminophen':(['dihydrocodeine','acetaminophen'],['co-dydramol','paracetamol and dihydrocodeine']),
 'amoxicillin-and-clavulanate':(['amoxicillin','clavulanate'],['co-amoxiclav','amoxicillin and clavulanic acid']),
 'carbidopa-and-levodopa':(['carbidopa','levodopa'],['co-careldopa']),
 'benserazide-and-levodopa':(['benserazide','levodopa'],['co-beneldopa']),
 'sulfamethoxazole-and-trimethoprim':(['sulfamethoxazole','trimethoprim'],['co-trimoxazole']),
 'amiloride-and-furosemide':(['amiloride','furosemide'],['co-amilofruse']),
}
# extra UK high-volume single ingredients (vocabulary only; no rank)
UK_EXTRA=['lansoprazole','ramipril','bisoprolol','cholecalciferol','beclomethasone','gliclazide','bendroflumethiazide','candesartan','indapamide','edoxaban','dihydrocodeine','codeine','levodopa','carbidopa','benserazide','amiloride','mirtazapine','folic-acid','co-codamol-placeholder']
UK_EXTRA=[x for x in UK_EXTRA if 'placeholder' not in x]
SIBLING=['abiraterone', 'alfentanil', 'alosetron', 'alprazolam', 'alverine', 'amantadine', 'amiodarone', 'amitriptyline', 'amoxapine', 'amphetamine', 'apalutamide', 'apixaban', 'aprepitant', 'aripiprazole', 'asenapine', 'aspirin', 'atenolol', 'atomoxetine', 'atorvastatin', 'atropine', 'avanafil', 'azithromycin', 'baclofen', 'benztropine', 'bosentan', 'brigatinib', 'brompheniramine', 'budesonide', 'bumetanide', 'bupropion', 'buspirone', 'butalbital', 'caffeine', 'captopril', 'carbamazepine', 'carbinoxamine', 'carisoprodol', 'celecoxib', 'cenobamate', 'cetirizine', 'chlorpheniramine', 'chlorpromazine', 'chlorthalidone', 'cimetidine', 'cinacalcet', 'ciprofloxacin', 'citalopram', 'clarithromycin', 'clemastine', 'clidinium', 'clomipramine', 'clonazepam', 'clopidogrel', 'clorazepate', 'clozapine', 'cobicistat', 'codeine', 'colchicine', 'conivaptan', 'crizotinib', 'cyclobenzaprine', 'cyclosporine', 'cyproheptadine', 'dabigatran', 'dabrafenib', 'darifenacin', 'darunavir', 'dasatinib', 'desipramine', 'desloratadine', 'desogestrel', 'desvenlafaxine', 'dextroamphetamine', 'dextromethorphan', 'diazepam', 'diclofenac', 'dicyclomine', 'digoxin', 'diltiazem', 'dimenhydrinate', 'diphenhydramine', 'dipyridamole', 'disopyramide', 'donepezil', 'doxepin', 'doxylamine', 'dronedarone', 'drospirenone', 'duloxetine', 'edoxaban', 'efavirenz', 'eletriptan', 'eliglustat', 'enzalutamide', 'eplerenone', 'erythromycin', 'escitalopram', 'eslicarbazepine', 'ethinyl-estradiol', 'etodolac', 'etonogestrel', 'etravirine', 'everolimus', 'felbamate', 'felodipine', 'fentanyl', 'fesoterodine', 'fexofenadine', 'flavoxate', 'fluconazole', 'fluoxetine', 'fluvoxamine', 'furosemide', 'gabapentin', 'gabapentin-enacarbil', 'glimepiride', 'haloperidol', 'hydralazine', 'hydrochlorothiazide', 'hydrocodone', 'hydrocortisone', 'hydroxychloroquine', 'hydroxyzine', 'hyoscyamine', 'ibrutinib', 'ibuprofen', 'idelalisib', 'iloperidone', 'imatinib', 'imipramine', 'indinavir', 'indomethacin', 'isavuconazole', 'isosorbide-dinitrate', 'isosorbide-mononitrate', 'itraconazole', 'ivabradine', 'ketoconazole', 'ketorolac', 'lacosamide', 'lamotrigine', 'lansoprazole', 'lapatinib', 'levetiracetam', 'levocetirizine', 'levofloxacin', 'levomilnacipran', 'levonorgestrel', 'lisdexamfetamine', 'lithium', 'lomitapide', 'loperamide', 'lopinavir', 'loratadine', 'lorazepam', 'lovastatin', 'loxapine', 'lurasidone', 'maraviroc', 'meclizine', 'medroxyprogesterone', 'melatonin', 'meloxicam', 'meperidine', 'metaxalone', 'methadone', 'methocarbamol', 'methotrimeprazine', 'methoxsalen', 'metoprolol', 'mexiletine', 'miconazole', 'midazolam', 'milnacipran', 'mirabegron', 'mirtazapine', 'mitotane', 'modafinil', 'molindone', 'morphine', 'nabumetone', 'naloxegol', 'naproxen', 'nebivolol', 'nefazodone', 'nefopam', 'nelfinavir', 'nevirapine', 'nifedipine', 'nisoldipine', 'norelgestromin', 'norethindrone', 'norgestimate', 'norgestrel', 'nortriptyline', 'olanzapine', 'omeprazole', 'ondansetron', 'orphenadrine', 'oxcarbazepine', 'oxybutynin', 'oxycodone', 'oxymorphone', 'paliperidone', 'paroxetine', 'perampanel', 'perphenazine', 'phenelzine', 'phenobarbital', 'phenytoin', 'pimozide', 'pirfenidone', 'posaconazole', 'prednisone', 'pregabalin', 'primidone', 'procyclidine', 'promazine', 'promethazine', 'propafenone', 'propantheline', 'propiverine', 'propranolol', 'pyrilamine', 'quetiapine', 'quinidine', 'rabeprazole', 'ramelteon', 'ranitidine', 'ranolazine', 'rifabutin', 'rifampin', 'rilpivirine', 'risperidone', 'ritonavir', 'rivaroxaban', 'rizatriptan', 'rolapitant', 'rufinamide', 'saquinavir', 'scopolamine', 'sertraline', 'sildenafil', 'simvastatin', 'sirolimus', 'solifenacin', 'sotalol', 'spironolactone', 'st-johns-wort', 'sumatriptan', 'tacrolimus', 'tadalafil', 'tapentadol', 'tasimelteon', 'telithromycin', 'terbinafine', 'teriflunomide', 'theophylline', 'thioridazine', 'ticagrelor', 'ticlopidine', 'tipranavir', 'tizanidine', 'tolterodine', 'tolvaptan', 'topiramate', 'torsemide', 'tramadol', 'trazodone', 'triamterene', 'triazolam', 'trifluoperazine', 'trihexyphenidyl', 'trimipramine', 'trospium', 'valproate', 'vardenafil', 'vemurafenib', 'venetoclax', 'venlafaxine', 'verapamil', 'voriconazole', 'warfarin', 'ziprasidone', 'zolpidem']
# UNII lookup name overrides
UNAME={'capsaicin-cream':'CAPSAICIN','capsaicin-patch':'CAPSAICIN','clonidine-topical':'CLONIDINE','lidocaine-plaster':'LIDOCAINE',
 'ivig':'HUMAN IMMUNOGLOBULIN G','onabotulinumtoxina':'ONABOTULINUMTOXINA','mycophenolate':'MYCOPHENOLATE MOFETIL','valproate':'VALPROIC ACID',
 'senna':'SENNOSIDES','docusate':'DOCUSATE SODIUM','vitamin-e':'VITAMIN E','clavulanate':'CLAVULANATE POTASSIUM','tenofovir':'TENOFOVIR DISOPROXIL FUMARATE',
 'penicillin-v':'PENICILLIN V','polymyxin-b':'POLYMYXIN B','calcium-phosphate':'CALCIUM PHOSPHATE','insulin-isophane-human':'INSULIN HUMAN',
 'tiotropium':'TIOTROPIUM BROMIDE','beclomethasone':'BECLOMETHASONE DIPROPIONATE','polyethylene-glycol-3350-with-electrolytes':'POLYETHYLENE GLYCOL 3350',
 'isosorbide-mononitrate':'ISOSORBIDE MONONITRATE','isosorbide-dinitrate':'ISOSORBIDE DINITRATE','fluticasone':'FLUTICASONE','lithium':'LITHIUM CARBONATE',
 'magnesium':'','thyroid':'THYROID','dextroamphetamine':'DEXTROAMPHETAMINE','ferrous-sulfate':'FERROUS SULFATE','potassium-chloride':'POTASSIUM CHLORIDE',
 'sodium-fluoride':'SODIUM FLUORIDE','ascorbic-acid':'ASCORBIC ACID','omega-3-acid-ethyl-esters':'OMEGA-3-ACID ETHYL ESTERS','icosapent-ethyl':'ICOSAPENT ETHYL',
 'medroxyprogesterone':'MEDROXYPROGESTERONE ACETATE','testosterone':'TESTOSTERONE','estradiol':'ESTRADIOL','hydrocortisone':'HYDROCORTISONE','mesalamine':'MESALAMINE','st-johns-wort':'HYPERICUM PERFORATUM','rifampin':'RIFAMPIN','methotrimeprazine':'METHOTRIMEPRAZINE',
}
SALTS=set('BISULFATE PROPANEDIOL TRIFENATATE MONOHYDRATE, HYDROCHLORIDE SODIUM POTASSIUM CALCIUM SULFATE BESYLATE TARTRATE SUCCINATE MALEATE FUMARATE HYDROBROMIDE MESYLATE BITARTRATE CITRATE PHOSPHATE ACETATE MAGNESIUM DIHYDROCHLORIDE BROMIDE PROPIONATE FUROATE XINAFOATE DIPROPIONATE MONOHYDRATE TRIHYDRATE DIHYDRATE HEMIFUMARATE ANHYDROUS SESQUIHYDRATE MALATE NITRATE DISODIUM DIVALPROEX HYCLATE MONONITRATE DECANOATE CYPIONATE ENANTHATE VALERATE AXETIL CILEXETIL MEDOXOMIL TROMETHAMINE BENZOATE LACTATE HEMIHYDRATE CARBONATE GLUCONATE PAMOATE OXALATE NAPSYLATE ER SALICYLATE SODIUM, MONOHYDRATE STEARATE DIMESYLATE ARGININE TOSYLATE DIPOTASSIUM BROMIDE, CHLORIDE'.split())
def uniis_for(slug):
    nm=UNAME.get(slug, slug.replace('-',' ').upper())
    if not nm: return None,[]
    base=sorted(N2U.get(nm,[]))
    if not base: return None,[]
    # prefer the UNII whose display name equals the name
    b=[u for u in base if U2D[u]==nm] or base
    bu=b[0]; disp=U2D[bu]
    # salts: UNIIs whose display name = disp + salt words, having brands
    salts=[]
    for stem in set([nm,disp]):
      for u,dn in U2D.items():
        if u==bu or u in salts: continue
        if dn.startswith(stem+' ') and all(w in SALTS for w in dn[len(stem)+1:].replace(',',' ').split()):
            if BN.get(u): salts.append(u)
    return bu, salts
def is_component(b): return ' COMPONEN' in b
def clean_brand(b):
    if is_component(b) or '(' in b or len(b)<3 or re.search(r'\d{2,}',b) or re.search(r'[^A-Z0-9 \-\.&/\']',b): return None
    return b
def titlecase(b):
    return ' '.join(w if (len(w)<=3 and w.isupper() and w in ('XR','ER','SR','XL','CR','HFA','ODT','LA','CD','IR','DR','ES','PM','EC','IV','XT','SA','CC')) else w.capitalize() for w in b.split(' ')).replace('-xl','-XL').replace('-Xl','-XL')
PRIO=json.load(open('prio.json'))
COMBO_BRANDS=set(b.upper() for k,v in PRIO.items() if '-and-' in k for b in v)
def brands_for(slug, us):
    cand=[]
    for u in us:
        for b in BN.get(u,[]):
            c=clean_brand(b)
            if c and c not in cand: cand.append(c)
    raw=set(b for u in us for b in BN.get(u,[]) if not is_component(b))
    raw|=set(re.match(r'(.+?) COMPONEN',b).group(1).strip() for u in us for b in BN.get(u,[]) if is_component(b))
    raw-=COMBO_BRANDS
    if slug in PRIO:
        out=[b for b in PRIO[slug] if b.upper() in raw]
        return out[:8]
        return [titlecase(b.upper()) for b in out][:8]
    return []
def comp_brands(us):
    s=set()
    for u in us:
        for b in BN.get(u,[]):
            m=re.match(r'(.+?) COMPONEN',b)
            if m: s.add(m.group(1).strip())
    return s
VARIANTS=json.load(open('variants.json'))
def name_of(slug):
    return slug.replace('-',' ').capitalize() if slug not in ('ivig',) else 'IVIG'
recs={}
def add_single(slug, us_rank=None):
    if slug in recs:
        if us_rank and not recs[slug]['us_rank']: recs[slug]['us_rank']=us_rank
        return
    bu,salts=uniis_for(slug)
    other=[]
    if bu:
        for u in salts: other.append(U2D[u].lower())
    for v in VARIANTS.get(slug,[]):
        if v.lower() not in other: other.append(v.lower())
    src=[['fda-unii-names']] if bu else []
    c=None
    for key in [slug.replace('-',' '), {'albuterol':'salbutamol','valproate':'valproic acid','mesalamine':'mesalazine','ascorbic-acid':'vitamin c','fluticasone':'fluticasone propionate','isosorbide-dinitrate':'isosorbide dinitrate'}.get(slug,'')]:
        if key in cpic: c=cpic[key]; break
    rx=''; atc=''
    if c and slug not in ('fluticasone','mycophenolate'):
        rx=c['rxcui']; a=ATC_PICK.get(slug)
        if a is None:
            al=[x for x in c['atc'] if not (x[-2:].isdigit() and int(x[-2:])>=50) and not x.startswith('C10B') and not x.startswith('C09D') and not x.startswith('C09X')]
            a=al[0] if len(al)==1 else ''
        atc=a if len(a)==7 else ''; src.append(['cpic-data-drugs'])
    if slug in MME and not rx:
        rx=MME[slug]; src.append(['cdc-mme-conversion-factors'])
    recs[slug]=dict(slug=slug,name=NAME.get(slug,name_of(slug)),other_names=other,brand_names_us=brands_for(slug,[bu]+salts) if bu else [],brand_names_uk=[],
        rxcui=rx,atc_code=atc,unii=bu or '',ingredients=[],us_rank=us_rank,england_rank=eng.get(slug),sources=src,_uniis=([bu]+salts) if bu else [])
ATC_PICK={'amitriptyline':'N06AA09','aspirin':'B01AC06','budesonide':'','celecoxib':'M01AH01','ciprofloxacin':'J01MA02','cyclosporine':'L04AD01','diclofenac':'M01AB05','erythromycin':'J01FA01','fentanyl':'N02AB03','hydrochlorothiazide':'C03AA03','ibuprofen':'M01AE01','isosorbide-dinitrate':'C01DA08','levofloxacin':'J01MA12','lidocaine':'C01BB01','methotrexate':'','moxifloxacin':'J01MA14','albuterol':'R03AC02','simvastatin':'C10AA01','terbinafine':'','timolol':'','triamcinolone':'','ascorbic-acid':'','tacrolimus':'L04AD02','dapsone':'J04BA02','buprenorphine':'N02AE01'}
MME={'buprenorphine':'1819','codeine':'2670','dihydrocodeine':'23088','fentanyl':'4337','hydrocodone':'5489','hydromorphone':'3423','meperidine':'6754','methadone':'6813','morphine':'7052','oxycodone':'7804','oxymorphone':'7814','tapentadol':'787390','tramadol':'10689'}
NAME={'acetaminophen':'Acetaminophen','ivig':'Immune globulin (IVIG)','onabotulinumtoxina':'OnabotulinumtoxinA','nabiximols':'Nabiximols','capsaicin-cream':'Capsaicin cream','capsaicin-patch':'Capsaicin 8% patch','lidocaine-plaster':'Lidocaine plaster','clonidine-topical':'Clonidine (topical)'}
# US list
combos={}
for r in us_rows:
    if r['combo']:
        combos.setdefault(r['combo'],dict(ings=r['ingredients'],us_rank=r['rank'],listed=r['listed_name']))
        for i in r['ingredients']: add_single(i)
    else:
        for i in r['ingredients']:
            for alt in i.split('|'): add_single(alt, r['rank'] if '|' not in i else None)
for s in KB: add_single(s)
for s in UK_EXTRA: add_single(s)
for s in SIBLING: add_single(s)
for s,(ings,on) in UK_COMBOS.items():
    for i in ings: add_single(i)
    combos.setdefault(s,dict(ings=ings,us_rank=None,listed=''))
    combos[s].setdefault('uk_names',[]); combos[s]['uk_names']=on
COMBO_NAMES=json.load(open('combo_names.json'))
for s,c in combos.items():
    us=[recs[i]['_uniis'] for i in c['ings']]
    pr=PRIO.get(s)
    cb=None
    for ul in us:
        b=comp_brands(ul)
        if pr is not None: cb=(cb or set())|b
        else: cb=b if cb is None else cb&b
    cb=sorted(cb or [])
    if pr is not None: cb=[b for b in pr if b.upper() in cb]
    else: cb=[]
    other=list(c.get('uk_names',[]))+['/'.join(c['ings'])]+[x for x in COMBO_NAMES.get(s,[]) if x not in c.get('uk_names',[])]
    recs[s]=dict(slug=s,name=' and '.join(recs[i]['name'] if i!='acetaminophen' else 'acetaminophen' for i in c['ings']).capitalize(),other_names=other,
        brand_names_us=cb[:8],brand_names_uk=[],rxcui='',atc_code='',unii='',ingredients=[[i] for i in c['ings']],
        us_rank=c['us_rank'],england_rank=None,sources=[['fda-unii-names']] if cb else [],_uniis=[])
for r in recs.values():
    if r['us_rank']: r['sources'].append(['clincalc-drugstats-top300-2023'])
    if r['england_rank']: r['sources'].append(['nhsbsa-pca-2021-22'])
out=[]
for s in sorted(recs):
    r=recs[s]; r.pop('_uniis',None)
    f=dict(status='published',last_reviewed='2026-12-02',next_review_due='2027-12-02'); f.update(r)
    out.append({'model':'treatments.medicine','fields':f})
json.dump(out,open('../medicines.json','w'),indent=1,ensure_ascii=False)
print(len(out))
