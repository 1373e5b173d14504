import json
D="2026-12-02"; N="2027-12-02"
def src(*k): return [[x] for x in k]
R=[]
def rule(key,name,left,right,sev,effect,mech,mgmt,sources,older=False):
    R.append({"model":"treatments.mechanismrule","fields":{"status":"published","last_reviewed":D,"next_review_due":N,
      "key":key,"name":name,"left":left,"right":right,"severity":sev,"effect":effect,"mechanism":mech,
      "management":mgmt,"older_adult_only":older,"sources":src(*sources)}})

rule("maoi--serotonergic","MAO inhibitor with a serotonergic drug",["mao-inhibitor"],["serotonergic"],"contraindicated",
 "Risk of serotonin syndrome, which can be life-threatening (agitation, hyperthermia, autonomic instability, neuromuscular rigidity or clonus).",
 "Pharmacodynamic: MAO inhibition blocks serotonin breakdown while the other drug raises synaptic serotonin.",
 "Do not combine. Allow at least 14 days after stopping an MAO inhibitor before starting a serotonergic drug, and follow the other drug's label for the washout before starting an MAO inhibitor.",
 ["label-nardil","label-cymbalta","fda-dsc-opioids-2016"])
rule("serotonergic--serotonergic","Two serotonergic drugs",["serotonergic"],["serotonergic"],"major",
 "Added serotonergic effect raises the risk of serotonin syndrome; FDA has warned that opioids used with serotonergic antidepressants can cause it.",
 "Pharmacodynamic: additive increase in serotonergic activity.",
 "Use together only if clearly needed; start low, increase slowly and watch for serotonin syndrome, especially after starting or increasing either drug. Stop the serotonergic drugs if it occurs.",
 ["fda-dsc-opioids-2016","label-cymbalta","label-ultram"])
rule("cyp2d6-inhibitor-strong--cyp2d6-activated","Strong CYP2D6 inhibitor with a CYP2D6-activated prodrug",["cyp2d6-inhibitor:strong"],["cyp2d6-activated"],"major",
 "Less conversion of the prodrug to its active opioid metabolite, so weaker analgesia (or withdrawal in dependent patients); for tramadol, more parent drug remains, adding serotonergic and seizure risk. Stopping the inhibitor raises active-metabolite exposure and can cause opioid toxicity.",
 "Pharmacokinetic: CYP2D6 inhibition blocks O-demethylation of the prodrug (tramadol to M1, codeine to morphine); the effect resembles the CYP2D6 poor-metaboliser phenotype.",
 "Prefer an analgesic not activated by CYP2D6. If combined, monitor pain control, withdrawal and serotonergic effects; when the inhibitor is stopped, watch for opioid toxicity and consider a lower opioid dose.",
 ["label-ultram","cpic-opioids-2021","fda-ddi-table"])
rule("cyp1a2-inhibitor-strong--cyp1a2-substrate","Strong CYP1A2 inhibitor with a CYP1A2-dependent drug",["cyp1a2-inhibitor:strong"],["cyp1a2-substrate:sensitive","cyp1a2-substrate:label"],"major",
 "Large rises in exposure to drugs cleared by CYP1A2: fluvoxamine raised duloxetine exposure about 6-fold, and fluvoxamine or ciprofloxacin markedly raise tizanidine levels, causing hypotension and sedation.",
 "Pharmacokinetic: inhibition of CYP1A2-mediated metabolism of the substrate.",
 "Avoid the combination (duloxetine label: avoid potent CYP1A2 inhibitors; tizanidine label: contraindicated with fluvoxamine or ciprofloxacin). Choose an alternative to one of the drugs.",
 ["label-cymbalta","label-zanaflex","fda-ddi-table"])
rule("cyp3a4-inducer-strong--cyp3a4-substrate","Strong CYP3A4 inducer with a CYP3A4-dependent drug",["cyp3a4-inducer:strong"],["cyp3a4-substrate:sensitive","cyp3a4-substrate:label"],"major",
 "Lower exposure and loss of effect of the CYP3A4 substrate: for oxycodone or methadone, reduced analgesia or opioid withdrawal; for apixaban, less anticoagulation. When the inducer is stopped, substrate levels rise and an opioid dose set during induction can cause fatal overdose.",
 "Pharmacokinetic: induction of CYP3A4 (often with P-gp) speeds the substrate's metabolism.",
 "Avoid where the substrate's label says so (e.g. apixaban with strong CYP3A4 and P-gp inducers). For opioids, monitor for withdrawal and adjust the dose; when the inducer is stopped, reduce the opioid dose and monitor for respiratory depression.",
 ["label-oxycontin","label-dolophine","label-eliquis","fda-ddi-table"])
rule("cyp3a4-inhibitor-strong--cyp3a4-substrate","Strong CYP3A4 inhibitor with a CYP3A4-dependent drug",["cyp3a4-inhibitor:strong"],["cyp3a4-substrate:sensitive","cyp3a4-substrate:label"],"major",
 "Higher and longer exposure to the CYP3A4 substrate; for opioids such as oxycodone and methadone this can cause fatal respiratory depression (boxed warning). Stopping the inhibitor lowers opioid levels and can cause withdrawal.",
 "Pharmacokinetic: inhibition of CYP3A4-mediated metabolism of the substrate.",
 "Avoid if possible. If combined, consider a lower substrate dose and monitor closely for sedation and respiratory depression; when the inhibitor is stopped, watch for loss of effect or withdrawal.",
 ["label-oxycontin","label-dolophine","fda-ddi-table"])
rule("cyp3a4-inhibitor-moderate--cyp3a4-substrate-label","Moderate CYP3A4 inhibitor with a drug whose label flags CYP3A4 inhibitors",["cyp3a4-inhibitor:moderate"],["cyp3a4-substrate:label"],"moderate",
 "Raised exposure to the substrate, smaller than with strong inhibitors; the opioid labels name CYP3A4 inhibitors generally (including macrolide antibiotics such as erythromycin) as increasing opioid effects.",
 "Pharmacokinetic: partial inhibition of CYP3A4-mediated metabolism.",
 "Monitor for increased effect (for opioids: sedation and respiratory depression), particularly when the inhibitor is added to a stable dose; adjust the dose if needed.",
 ["label-oxycontin","fda-ddi-table"])
rule("cyp2d6-inhibitor--cyp2d6-substrate","Strong or moderate CYP2D6 inhibitor with a CYP2D6-dependent drug",["cyp2d6-inhibitor:strong","cyp2d6-inhibitor:moderate"],["cyp2d6-substrate:sensitive","cyp2d6-substrate:label"],"moderate",
 "Higher concentrations of drugs cleared by CYP2D6, such as tricyclic antidepressants, with more dose-related toxicity (anticholinergic effects, conduction problems).",
 "Pharmacokinetic: inhibition of CYP2D6-mediated metabolism of the substrate.",
 "Combine with caution: use lower substrate doses, consider monitoring TCA plasma levels and reduce the dose if needed.",
 ["label-cymbalta","label-amitriptyline","fda-ddi-table"])
rule("cyp2c9-inhibitor--cyp2c9-substrate","Strong or moderate CYP2C9 inhibitor with a CYP2C9-dependent drug",["cyp2c9-inhibitor:strong","cyp2c9-inhibitor:moderate"],["cyp2c9-substrate:sensitive","cyp2c9-substrate:label"],"major",
 "Raised exposure to narrow-margin CYP2C9 substrates: for warfarin, a higher INR and bleeding; for phenytoin, toxicity.",
 "Pharmacokinetic: inhibition of CYP2C9-mediated metabolism of the substrate.",
 "Avoid if an alternative exists. Otherwise check INR (warfarin) or phenytoin levels more often after starting, stopping or changing the inhibitor, and adjust the dose.",
 ["label-coumadin","label-dilantin-infatabs","fda-ddi-table"])
rule("cyp2c19-inhibitor--cyp2c19-activated","CYP2C19 inhibitor with a CYP2C19-activated prodrug",["cyp2c19-inhibitor:strong","cyp2c19-inhibitor:moderate"],["cyp2c19-activated"],"major",
 "Less active metabolite of the prodrug; for clopidogrel, omeprazole or esomeprazole reduce its antiplatelet effect.",
 "Pharmacokinetic: CYP2C19 inhibition blocks conversion of clopidogrel to its active metabolite.",
 "Avoid the combination (clopidogrel label: avoid omeprazole and esomeprazole); choose an acid-reducing drug with less CYP2C19 inhibition.",
 ["label-plavix","fda-ddi-table"])
rule("pgp-inducer--pgp-substrate","P-gp inducer with a P-gp-dependent drug",["pgp-inducer"],["pgp-substrate:label"],"major",
 "Lower exposure and loss of effect of the P-gp substrate; for dabigatran, less anticoagulation.",
 "Pharmacokinetic: induction of intestinal P-gp reduces absorption of the substrate.",
 "Avoid the combination where the substrate's label says so (dabigatran: avoid P-gp inducers such as rifampin).",
 ["label-pradaxa","fda-ddi-table"])
rule("contraceptive-inducer--hormonal-contraceptive","Enzyme inducer with hormonal contraception",["contraceptive-inducer"],["hormonal-contraceptive"],"major",
 "Enzyme induction lowers contraceptive hormone levels, with risk of contraceptive failure and unintended pregnancy (and breakthrough bleeding).",
 "Pharmacokinetic: induction of hepatic enzymes speeds metabolism of oestrogen and progestogen.",
 "Advise a method not affected by enzyme inducers (copper IUD, levonorgestrel IUS or progestogen-only injection), per FSRH guidance; check the BNF or Stockley's for the specific drug, including for 28 days after stopping the inducer.",
 ["fsrh-2022-drug-interactions","label-topamax","label-tegretol"])
rule("qt-known--qt-prolonging","Known-risk QT-prolonging drug with another QT-prolonging drug",["qt-prolonging:known"],["qt-prolonging:known","qt-prolonging:possible","qt-prolonging:conditional"],"major",
 "Additive QT prolongation with a raised risk of torsades de pointes and sudden death.",
 "Pharmacodynamic: additive delay of cardiac repolarisation.",
 "Avoid combining where possible. If needed, obtain a baseline ECG, correct potassium and magnesium, and monitor the QTc; stop or reduce a drug if the QTc becomes markedly prolonged.",
 ["crediblemeds-qtdrugs","label-dolophine"])
rule("sri--anticoagulant","Serotonin reuptake inhibitor with an anticoagulant",["serotonin-reuptake-inhibitor"],["anticoagulant"],"moderate",
 "Higher risk of bleeding, from gastrointestinal bleeding and bruising to life-threatening haemorrhage.",
 "Pharmacodynamic: serotonin reuptake inhibition depletes platelet serotonin and impairs aggregation, adding to anticoagulation.",
 "Warn the patient about bleeding signs and monitor closely, including the INR when warfarin is started or stopped with the antidepressant.",
 ["label-prozac","label-cymbalta"])
rule("sri--antiplatelet","Serotonin reuptake inhibitor with an antiplatelet drug",["serotonin-reuptake-inhibitor"],["antiplatelet"],"moderate",
 "Higher risk of bleeding.",
 "Pharmacodynamic: additive impairment of platelet function.",
 "Warn the patient about bleeding signs; consider gastroprotection in those at high risk of gastrointestinal bleeding.",
 ["label-prozac","label-cymbalta"])
rule("sri--nsaid","Serotonin reuptake inhibitor with an NSAID",["serotonin-reuptake-inhibitor"],["nsaid"],"moderate",
 "Higher risk of bleeding, particularly gastrointestinal bleeding.",
 "Pharmacodynamic: impaired platelet function plus NSAID gastrointestinal mucosal injury and platelet inhibition.",
 "Warn the patient about bleeding signs; consider gastroprotection or an alternative analgesic in those at high risk.",
 ["label-prozac","label-cymbalta"])
rule("nsaid--anticoagulant","NSAID with an anticoagulant",["nsaid"],["anticoagulant"],"major",
 "Higher risk of serious bleeding, including gastrointestinal bleeding.",
 "Pharmacodynamic: platelet inhibition and gastrointestinal mucosal injury added to anticoagulation.",
 "Avoid if possible; if an NSAID is needed, use the lowest dose for the shortest time, consider gastroprotection and monitor for bleeding (and the INR with warfarin).",
 ["label-coumadin","label-eliquis"])
rule("anticoagulant--antiplatelet","Anticoagulant with an antiplatelet drug",["anticoagulant"],["antiplatelet"],"major",
 "Higher risk of bleeding; in apixaban trials aspirin roughly doubled the annual bleeding rate.",
 "Pharmacodynamic: combined inhibition of coagulation and platelet function.",
 "Combine only when there is a clear indication and for the shortest time needed; monitor for bleeding.",
 ["label-coumadin","label-eliquis"])
rule("opioid--benzodiazepine","Opioid with a benzodiazepine",["opioid"],["benzodiazepine"],"major",
 "Profound sedation, respiratory depression, coma and death (boxed warnings on both classes).",
 "Pharmacodynamic: additive CNS and respiratory depression.",
 "Avoid; reserve for patients without adequate alternatives, at the lowest doses for the shortest time, with monitoring for sedation and respiratory depression. AGS Beers 2023: avoid in adults 65 or over.",
 ["fda-dsc-opioid-benzodiazepine-2016","ags-beers-2023"])
rule("opioid--cns-depressant","Opioid with another CNS depressant",["opioid"],["z-drug","sedating-antihistamine","antipsychotic","muscle-relaxant","barbiturate"],"major",
 "Profound sedation, respiratory depression, coma and death; opioid labels extend the benzodiazepine warning to other CNS depressants.",
 "Pharmacodynamic: additive CNS and respiratory depression.",
 "Combine only if alternatives are inadequate; use the lowest effective doses for the shortest time and monitor for sedation and respiratory depression.",
 ["label-oxycontin","fda-dsc-opioid-benzodiazepine-2016"])
rule("opioid--gabapentinoid","Opioid with gabapentin or pregabalin",["opioid"],["gabapentinoid"],"major",
 "Serious, sometimes fatal, respiratory depression; FDA 2019 warned about gabapentinoids used with opioids and other CNS depressants.",
 "Pharmacodynamic: additive CNS and respiratory depression.",
 "Start the gabapentinoid at the lowest dose and monitor for sedation and breathing problems. AGS Beers 2023: avoid in adults 65 or over, except when switching from an opioid to a gabapentinoid or using one to reduce the opioid dose.",
 ["fda-dsc-gabapentinoids-2019","ags-beers-2023"])
rule("seizure-threshold--seizure-threshold","Two drugs that lower the seizure threshold",["seizure-threshold"],["seizure-threshold"],"moderate",
 "Higher seizure risk; the tramadol label reports seizures with SSRIs, TCAs and other drugs that lower the seizure threshold.",
 "Pharmacodynamic: additive lowering of the seizure threshold.",
 "Avoid in people with epilepsy or other seizure risk; otherwise use the lowest doses and warn the patient.",
 ["label-ultram"])
rule("anticholinergic--anticholinergic-older-adult","Two anticholinergic drugs in an older adult",["anticholinergic"],["anticholinergic"],"moderate",
 "AGS Beers 2023: using more than one anticholinergic drug raises the risk of cognitive decline, delirium and falls in older adults.",
 "Pharmacodynamic: additive muscarinic blockade.",
 "Avoid in adults 65 or over; minimise the number of anticholinergic drugs and prefer alternatives with little anticholinergic activity.",
 ["ags-beers-2023","boustani-2008-acb"],older=True)
json.dump(R,open('rules.json','w'),indent=1,ensure_ascii=False)

# ---------- B: curated pairs
I=[]
def pair(key,a,ca,b,cb,sev,effect,mech,mgmt,sources,overrides):
    I.append({"model":"treatments.interaction","fields":{"status":"published","last_reviewed":D,"next_review_due":N,"key":key,
      "drug_a":[a] if a else None,"class_a":[ca] if ca else None,"drug_b":[b] if b else None,"class_b":[cb] if cb else None,
      "severity":sev,"effect":effect,"mechanism":mech,"management":mgmt,"older_adult_only":False,"sources":src(*sources),
      "overrides":[[o] for o in overrides]}})
pair("methadone--tricyclic-antidepressants","methadone",None,None,"tricyclic-antidepressants","major",
 "Additive risk of QT prolongation and serious arrhythmia (methadone carries a boxed warning for QT prolongation; TCAs cause conduction problems and arrhythmias), plus serotonin syndrome and additive sedation.",
 "Pharmacodynamic: additive prolongation of cardiac repolarisation and conduction; additive serotonergic and CNS-depressant effects.",
 "Avoid if possible. If combined, obtain a baseline ECG and repeat it after dose changes, keep potassium and magnesium normal, use the lowest TCA dose and watch for serotonin syndrome and sedation.",
 ["label-dolophine","label-amitriptyline","fda-dsc-opioids-2016"],["qt-known--qt-prolonging","serotonergic--serotonergic"])
for cls,lab in (("ssris","label-prozac"),("snris","label-cymbalta")):
    pair("methadone--"+cls,"methadone",None,None,cls,"major",
     "Serotonin syndrome; FDA reported it more often with methadone (and fentanyl) than with other opioids at recommended doses.",
     "Pharmacodynamic: additive serotonergic activity.",
     "Use together only if needed; start low, titrate slowly and monitor for serotonin syndrome, especially after starting or increasing either drug. Stop both if it is suspected.",
     ["fda-dsc-opioids-2016","label-dolophine",lab],["serotonergic--serotonergic"])
for ind,lab in (("carbamazepine","label-tegretol"),("phenytoin","label-dilantin-infatabs")):
    pair("methadone--"+ind,"methadone",None,ind,None,"major",
     "Lower methadone levels with loss of analgesia or opioid withdrawal; when the inducer is stopped, methadone levels rise and can cause respiratory depression.",
     "Pharmacokinetic: %s induces the CYP enzymes (mainly CYP3A4) that metabolise methadone."%ind,
     "Prefer a non-inducing alternative. If combined, monitor for withdrawal and adjust the methadone dose; when the inducer is stopped, reduce the methadone dose and monitor for sedation and respiratory depression.",
     ["label-dolophine",lab],["cyp3a4-inducer-strong--cyp3a4-substrate"])
    pair("oxycodone--"+ind,"oxycodone",None,ind,None,"major",
     "Lower oxycodone levels with loss of analgesia or withdrawal; stopping the inducer raises oxycodone levels and can cause fatal overdose.",
     "Pharmacokinetic: %s induces CYP3A4, the main pathway of oxycodone metabolism."%ind,
     "Avoid if possible. If combined, monitor for withdrawal and adjust the oxycodone dose; when the inducer is stopped, reduce the dose and monitor for respiratory depression and sedation.",
     ["label-oxycontin",lab],["cyp3a4-inducer-strong--cyp3a4-substrate"])
pair("maois--cyclobenzaprine",None,"maois","cyclobenzaprine",None,"contraindicated",
 "Hyperpyretic crisis, seizures and death have occurred with cyclobenzaprine or structurally similar tricyclics given with MAO inhibitors; serotonin syndrome is also possible.",
 "Pharmacodynamic: cyclobenzaprine is structurally related to the tricyclic antidepressants; combined with MAO inhibition it causes excess monoamine activity.",
 "Contraindicated: do not use cyclobenzaprine with an MAO inhibitor or within 14 days of stopping one.",
 ["label-cyclobenzaprine","label-nardil"],["maoi--serotonergic"])
pair("maois--carbamazepine",None,"maois","carbamazepine",None,"contraindicated",
 "Risk of serious reactions; carbamazepine is structurally related to the tricyclic antidepressants and its label contraindicates use with MAO inhibitors.",
 "Pharmacodynamic: tricyclic-like structure of carbamazepine combined with MAO inhibition.",
 "Contraindicated: stop the MAO inhibitor at least 14 days (longer if the clinical situation allows) before starting carbamazepine.",
 ["label-tegretol","label-nardil"],["maoi--serotonergic"])
pair("valproate--topiramate","valproate",None,"topiramate",None,"major",
 "Hyperammonaemia with or without encephalopathy, and hypothermia, in patients who tolerated either drug alone.",
 "Pharmacodynamic/metabolic: additive effects on ammonia handling (topiramate inhibits carbonic anhydrase; valproate impairs the urea cycle); mechanism not fully established.",
 "If combined, warn about lethargy, vomiting, confusion or low body temperature; measure blood ammonia if these occur and stop one of the drugs if hyperammonaemia is confirmed.",
 ["label-depakote","label-topamax"],[])
json.dump(I,open('interactions.json','w'),indent=1,ensure_ascii=False)

# ---------- C: cautions
C=[]
def caution(key,factor,cls,drug,age,level,text,sources,region=""):
    C.append({"model":"treatments.caution","fields":{"status":"published","last_reviewed":D,"next_review_due":N,"key":key,
      "factor":[factor] if factor else None,"drug_class":[cls] if cls else None,"drug":[drug] if drug else None,
      "crcl_min":None,"crcl_max":None,"dialysis":"","child_pugh":[],"age_min":age,"gene":"","phenotypes":[],"test_first":False,
      "level":level,"text":text,"region":region,"sources":src(*sources)}})
caution("benzodiazepines--age-65",None,"benzodiazepines",None,65,"avoid",
 "AGS Beers 2023: avoid benzodiazepines in adults 65 or over - older adults are more sensitive to them and they raise the risk of cognitive impairment, delirium, falls, fractures and motor vehicle crashes. They count towards the 3 or more CNS-active drugs rule. Do not stop long-term use abruptly; taper.",
 ["ags-beers-2023","fda-dsc-benzodiazepines-2020"])
caution("benzodiazepines--falls-risk","falls-risk","benzodiazepines",None,None,"avoid",
 "AGS Beers 2023: avoid benzodiazepines in people with a history of falls or fractures (ataxia, impaired psychomotor function, syncope); if one must be used, reduce other CNS-active drugs and use other fall-prevention measures.",
 ["ags-beers-2023"])
caution("carbamazepine--cardiac-conduction-disease","cardiac-conduction-disease",None,"carbamazepine",None,"contraindicated",
 "Carbamazepine is contraindicated in atrioventricular heart block (Tegretol label). For other rhythm or conduction problems, weigh benefit and risk and monitor.",
 ["label-tegretol"],"US")
json.dump(C,open('cautions.json','w'),indent=1,ensure_ascii=False)

# ---------- D: drugs patch
P=[{"drug":"mexiletine","field":"boxed_warning","value":
 "WARNING: MORTALITY - In the Cardiac Arrhythmia Suppression Trial (CAST), people with non-life-threatening ventricular arrhythmias after a recent myocardial infarction had a higher rate of death or non-fatal cardiac arrest on encainide or flecainide (7.7%) than on placebo (3.0%). How far this applies to other patients is uncertain, but because mexiletine can itself cause arrhythmias and no antiarrhythmic has been shown to improve survival without life-threatening arrhythmia, the label reserves mexiletine, like other antiarrhythmics, for life-threatening ventricular arrhythmias. Using it for neuropathic pain is off-label.",
 "sources":["label-mexiletine"],
 "why":"The US mexiletine label carries a boxed warning on mortality (CAST); the field was empty. Checked 2026-12-02 in stored copies of the label's boxed-warning text (blackboxrx.com/app/display/117; drugcentral.org label views). Some copies also show an acute liver injury paragraph in the box; that part is not included here because the 'boxed' status of that paragraph was not confirmed."}]
json.dump(P,open('drugs_patch.json','w'),indent=1,ensure_ascii=False)

# ---------- E: sources (shared keys copied verbatim from siblings + one new)
import glob
shared={}
for f in glob.glob('../*/new_sources.json'):
    if f.startswith('../rules/'): continue
    for s in json.load(open(f)):
        shared.setdefault(s['fields']['key'],s)
S=[shared[k] for k in ("fda-ddi-table","fsrh-2022-drug-interactions","label-eliquis","label-plavix","label-pradaxa")]
S.append({"model":"treatments.source","fields":{"status":"published","last_reviewed":D,"next_review_due":N,"key":"crediblemeds-qtdrugs","kind":"reference",
 "short_name":"CredibleMeds QTDrugs","title":"CredibleMeds QTDrugs List (Known, Possible and Conditional Risk of Torsades de Pointes)",
 "authors":"AZCERT / CredibleMeds","year":2026,"publisher":"AZCERT","doi":"","pmid":"","url":"https://www.crediblemeds.org/","region":"INTL","superseded":False,
 "notes":"Used only for the meaning of the risk categories (known / possible / conditional) on which the qt-prolonging property levels rest. The live list was not readable from stored copies on 2026-12-02; drug-level category assignments belong to the profile helpers."}})
json.dump(S,open('new_sources.json','w'),indent=1,ensure_ascii=False)
print(len(R),len(I),len(C),len(P),len(S))
