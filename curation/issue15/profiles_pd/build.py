import json, csv
rows=[]
def add(m,p,note,src,level="",score=None):
    rows.append({"medicine":m,"property":p,"level":level,"score":score,"note":note,"sources":src})
B="ags-beers-2023"
# ---- beers-cns-active (Beers 2023 Table 5 definition; auxiliary CNS-active list) ----
cns={
 'antiepileptic':['carbamazepine','oxcarbazepine','lamotrigine','levetiracetam','lacosamide','phenytoin','topiramate','valproate','primidone','gabapentin','gabapentin-enacarbil','pregabalin','clonazepam'],
 'antidepressant (TCA)':['amitriptyline','nortriptyline','desipramine','imipramine','doxepin'],
 'antidepressant (SSRI)':['fluoxetine','paroxetine','sertraline','citalopram','escitalopram'],
 'antidepressant (SNRI)':['duloxetine','venlafaxine','desvenlafaxine','milnacipran'],
 'antipsychotic':['aripiprazole','olanzapine','quetiapine','risperidone'],
 'benzodiazepine':['alprazolam','diazepam','lorazepam'],
 'Z-drug':['zolpidem'],
 'opioid':['codeine','hydrocodone','morphine','oxycodone','methadone','tramadol','tapentadol'],
 'skeletal muscle relaxant':['baclofen','cyclobenzaprine','methocarbamol','tizanidine'],
}
for g,ms in cns.items():
    for m in ms:
        extra=''
        if m=='clonazepam': extra=' (listed as antiepileptic and benzodiazepine)'
        add(m,'beers-cns-active',f"Beers 2023 Table 5: counts as a CNS-active drug ({g}){extra}; avoid combining 3 or more.",[B])
# ---- opioids ----
oplab={'morphine':['label-ms-contin'],'oxycodone':['label-oxycontin'],'methadone':['label-dolophine'],'tramadol':['label-ultram'],'tapentadol':['label-nucynta-er']}
for m in cns['opioid']:
    add(m,'opioid',"Opioid analgesic: FDA boxed warning on profound sedation, respiratory depression and death with benzodiazepines or other CNS depressants.",["fda-dsc-opioid-benzodiazepine-2016",B]+oplab.get(m,[]))
# ---- benzodiazepines ----
for m in ['alprazolam','clonazepam','diazepam','lorazepam']:
    add(m,'benzodiazepine',"Benzodiazepine: class boxed warning (with opioids: sedation, respiratory depression, death; abuse, dependence, withdrawal).",["fda-dsc-benzodiazepines-2020","fda-dsc-opioid-benzodiazepine-2016",B])
add('zolpidem','z-drug',"Beers 2023 lists zolpidem among the nonbenzodiazepine benzodiazepine-receptor-agonist hypnotics (Z-drugs).",[B])
for m in ['gabapentin','gabapentin-enacarbil','pregabalin']:
    add(m,'gabapentinoid',"Gabapentinoid: FDA warns of serious respiratory depression when combined with opioids or other CNS depressants.",["fda-dsc-gabapentinoids-2019",B])
for m in ['aripiprazole','olanzapine','quetiapine','risperidone']:
    add(m,'antipsychotic',"Antipsychotic (Beers 2023 CNS-active list / antipsychotic criteria).",[B])
for m,s in [('baclofen',['label-baclofen-oral']),('cyclobenzaprine',['label-cyclobenzaprine']),('methocarbamol',[]),('tizanidine',['label-zanaflex'])]:
    add(m,'muscle-relaxant',"Skeletal muscle relaxant counted by Beers 2023 among CNS-active drugs; additive CNS depression.",[B]+s)
# ---- serotonergic ----
ser={
 'amitriptyline':(['label-amitriptyline','fda-dsc-opioids-2016'],"Tricyclic antidepressant; label warns of serotonin syndrome with other serotonergic drugs."),
 'nortriptyline':(['label-pamelor','fda-dsc-opioids-2016'],"Tricyclic antidepressant; antidepressants named by FDA as serotonergic partners of opioids."),
 'desipramine':(['label-norpramin','fda-dsc-opioids-2016'],"Tricyclic antidepressant; antidepressants named by FDA as serotonergic partners of opioids."),
 'imipramine':(['label-imipramine','fda-dsc-opioids-2016'],"Tricyclic antidepressant; antidepressants named by FDA as serotonergic partners of opioids."),
 'doxepin':(['fda-dsc-opioids-2016'],"Tricyclic antidepressant; FDA 2016: antidepressants can cause serotonin syndrome with opioids."),
 'fluoxetine':(['label-prozac'],"SSRI; label warns of serotonin syndrome with other serotonergic drugs and MAOIs."),
 'paroxetine':(['label-prozac','fda-dsc-opioids-2016'],"SSRI; SSRI class labeling warns of serotonin syndrome with serotonergic drugs."),
 'sertraline':(['label-prozac','fda-dsc-opioids-2016'],"SSRI; SSRI class labeling warns of serotonin syndrome with serotonergic drugs."),
 'citalopram':(['fda-dsc-opioids-2016','fda-sllc-5ht3-serotonin-2014'],"SSRI; FDA names SSRIs among serotonergic drugs that can cause serotonin syndrome in combination."),
 'escitalopram':(['fda-dsc-opioids-2016','fda-sllc-5ht3-serotonin-2014'],"SSRI; FDA names SSRIs among serotonergic drugs that can cause serotonin syndrome in combination."),
 'duloxetine':(['label-cymbalta'],"SNRI; label warns of serotonin syndrome with other serotonergic drugs."),
 'venlafaxine':(['label-venlafaxine'],"SNRI; label warns of serotonin syndrome with other serotonergic drugs."),
 'desvenlafaxine':(['label-pristiq'],"SNRI; label warns of serotonin syndrome with other serotonergic drugs."),
 'milnacipran':(['label-savella'],"SNRI; label warns of serotonin syndrome with other serotonergic drugs."),
 'phenelzine':(['label-nardil'],"MAOI; contraindicated with other serotonergic drugs (serotonin syndrome / hypertensive reactions)."),
 'tramadol':(['label-ultram','fda-dsc-opioids-2016'],"Label warns of serotonin syndrome with serotonergic drugs (tramadol inhibits serotonin reuptake)."),
 'tapentadol':(['label-nucynta-er','fda-dsc-opioids-2016'],"Label warns of serotonin syndrome with serotonergic drugs."),
 'methadone':(['label-dolophine','fda-dsc-opioids-2016'],"FDA 2016: serotonin syndrome reports were more frequent with fentanyl and methadone at recommended doses."),
 'cyclobenzaprine':(['label-cyclobenzaprine'],"Label warns of serotonin syndrome when combined with SSRIs, SNRIs, TCAs, tramadol, bupropion, meperidine, verapamil or MAOIs."),
 'ondansetron':(['fda-sllc-5ht3-serotonin-2014'],"FDA 2014 class labeling: serotonin syndrome reported with 5-HT3 antagonists, mostly with other serotonergic drugs."),
 'mirtazapine':(['fda-sllc-5ht3-serotonin-2014','fda-dsc-opioids-2016'],"Named by FDA 5-HT3 class labeling as a serotonergic drug; an antidepressant (FDA 2016 opioid DSC)."),
 'trazodone':(['fda-dsc-opioids-2016'],"Antidepressant; FDA 2016 warns antidepressants can cause serotonin syndrome with opioids."),
 'lithium':(['label-prozac','fda-sllc-5ht3-serotonin-2014'],"Named in SSRI and 5-HT3-antagonist labeling as a serotonergic drug contributing to serotonin syndrome."),
 'buspirone':(['label-prozac'],"Named in SSRI class labeling as a serotonergic drug contributing to serotonin syndrome."),
 'sumatriptan':(['label-prozac','fda-dsc-opioids-2016'],"Triptan; SSRI labeling and FDA 2016 (migraine medicines) name triptans as serotonergic."),
 'rizatriptan':(['label-prozac','fda-dsc-opioids-2016'],"Triptan; SSRI labeling and FDA 2016 (migraine medicines) name triptans as serotonergic."),
 'amphetamine':(['label-prozac'],"Amphetamines are named in SSRI class labeling as serotonergic drugs contributing to serotonin syndrome."),
 'dextroamphetamine':(['label-prozac'],"Amphetamines are named in SSRI class labeling as serotonergic drugs contributing to serotonin syndrome."),
 'lisdexamfetamine':(['label-prozac'],"Prodrug of dextroamphetamine; amphetamines are named in SSRI class labeling as serotonergic."),
}
for m,(s,n) in ser.items(): add(m,'serotonergic',n,s)
add('phenelzine','mao-inhibitor',"Monoamine oxidase inhibitor (Nardil label).",['label-nardil','who-atc-index'])
# ---- bleeding ----
add('warfarin','anticoagulant',"Vitamin K antagonist anticoagulant; label warns of bleeding, increased by NSAIDs, antiplatelets and SSRIs/SNRIs.",['label-coumadin'])
add('apixaban','anticoagulant',"Direct factor Xa inhibitor anticoagulant (ATC B01AF).",['who-atc-index'])
add('rivaroxaban','anticoagulant',"Direct factor Xa inhibitor anticoagulant (ATC B01AF).",['who-atc-index'])
add('aspirin','antiplatelet',"Platelet aggregation inhibitor (ATC B01AC); SSRI/SNRI labels name aspirin as a bleeding-risk partner.",['who-atc-index','label-cymbalta','label-prozac'])
add('clopidogrel','antiplatelet',"P2Y12 platelet aggregation inhibitor (ATC B01AC).",['who-atc-index'])
add('ticagrelor','antiplatelet',"P2Y12 platelet aggregation inhibitor (ATC B01AC).",['who-atc-index'])
for m,s in [('ibuprofen',['label-ibuprofen-rx']),('naproxen',['label-naproxen-rx']),('celecoxib',['label-celecoxib']),('diclofenac',[]),('meloxicam',[]),('indomethacin',[]),('ketorolac',[]),('etodolac',[]),('nabumetone',[])]:
    add(m,'nsaid',"Nonsteroidal anti-inflammatory drug (ATC M01A; Beers 2023 NSAID criteria): GI bleeding risk, raised with anticoagulants/antiplatelets/SSRIs.",['who-atc-index',B]+s)
sri={'fluoxetine':['label-prozac'],'paroxetine':['label-prozac','cpic-ssri-snri-2023'],'sertraline':['label-prozac','cpic-ssri-snri-2023'],
 'citalopram':['label-prozac','cpic-ssri-snri-2023'],'escitalopram':['label-prozac','cpic-ssri-snri-2023'],
 'duloxetine':['label-cymbalta'],'venlafaxine':['label-venlafaxine'],'desvenlafaxine':['label-pristiq'],'milnacipran':['label-savella']}
for m,s in sri.items():
    cls='SNRI' if m in ('duloxetine','venlafaxine','desvenlafaxine','milnacipran') else 'SSRI'
    add(m,'serotonin-reuptake-inhibitor',f"{cls}: labeling warns of abnormal bleeding, especially with aspirin, NSAIDs, warfarin or other anticoagulants.",s)
# ---- hyponatraemia (Beers Table 4: SSRIs, SNRIs, TCAs, mirtazapine, carbamazepine, oxcarbazepine, antipsychotics, diuretics, tramadol) ----
hy={'SSRI':cns['antidepressant (SSRI)'],'SNRI':cns['antidepressant (SNRI)'],'TCA':cns['antidepressant (TCA)'],'mirtazapine':['mirtazapine'],
 'carbamazepine':['carbamazepine'],'oxcarbazepine':['oxcarbazepine'],'antipsychotic':cns['antipsychotic'],'tramadol':['tramadol'],
 'diuretic':['hydrochlorothiazide','chlorthalidone','furosemide','bumetanide','torsemide','spironolactone','triamterene']}
for g,ms in hy.items():
    for m in ms:
        s=[B]
        if m=='oxcarbazepine': s.append('label-trileptal')
        if m=='carbamazepine': s.append('label-tegretol')
        add(m,'hyponatraemia',f"Beers 2023 Table 4 ({g}): may cause or worsen SIADH/hyponatraemia; monitor sodium when starting or changing dose.",s)
# ---- seizure threshold ----
add('tramadol','seizure-threshold',"Label: seizures reported at recommended doses; risk higher with SSRIs, TCAs, MAOIs, neuroleptics or in epilepsy.",['label-ultram'])
add('bupropion','seizure-threshold',"Label: dose-related seizure risk; contraindicated in seizure disorder.",['label-bupropion-xl'])
# ---- hormonal contraception ----
hc=[('ethinyl-estradiol','oestrogen component of combined hormonal contraceptives (pill, patch, ring)'),('levonorgestrel','progestogen in combined/progestogen-only pills, IUS and emergency contraception'),
 ('norethindrone','progestogen (UK norethisterone) in combined and progestogen-only pills'),('desogestrel','progestogen in combined and progestogen-only pills'),
 ('drospirenone','progestogen in combined and progestogen-only pills'),('norgestimate','progestogen in combined pills'),('etonogestrel','progestogen in the implant and vaginal ring'),
 ('norelgestromin','progestogen in the contraceptive patch'),('norgestrel','progestogen in progestogen-only pill'),
 ('medroxyprogesterone','progestogen-only injectable contraceptive (DMPA); oral tablets are not contraceptive products')]
for m,n in hc: add(m,'hormonal-contraceptive',f"Hormonal contraceptive: {n}.",['fsrh-2022-drug-interactions','who-atc-index'])
ci=[('carbamazepine','label-tegretol',"Enzyme inducer: label warns of breakthrough bleeding and unreliable oral contraception."),
 ('oxcarbazepine','label-trileptal',"Enzyme inducer: label warns it may make hormonal contraceptives less effective."),
 ('phenytoin','label-dilantin',"Enzyme inducer: label warns of reduced efficacy of hormonal contraceptives."),
 ('topiramate','label-topamax',"Label: possible decreased contraceptive efficacy with oestrogen-containing contraceptives; dose-related (FSRH treats doses above 200 mg/day as enzyme-inducing - threshold not re-read).")]
for m,s,n in ci: add(m,'contraceptive-inducer',n,[s,'fsrh-2022-drug-interactions'])
for r in rows:
    if r['property']=='contraceptive-inducer' and r['medicine']=='topiramate': pass
json.dump(rows,open('properties.json','w'),indent=1)
# reviewed list
vocab=set()
for f in ['/work/scratch/i15/vocab/top_us.csv','/work/scratch/i15/vocab/top_england.csv']:
    try:
        for r in csv.DictReader(open(f)):
            for x in (r.get('ingredients') or '').replace(';','|').split('|'):
                if x.strip(): vocab.add(x.strip())
    except FileNotFoundError: pass
kb=[d['fields']['slug'] for d in json.load(open('/work/main/fixtures/drugs.json')) if d['model']=='treatments.drug']
rev=sorted(vocab|set(kb)|{r['medicine'] for r in rows})
json.dump(rev,open('reviewed.json','w'),indent=1)
print(len(rows),len(rev))
from collections import Counter; print(Counter(r['property'] for r in rows))
