#!/usr/bin/env python3
"""profiles_pd2 generator: writes properties.json and new_sources.json (issue 15)."""
import json
ROWS = []
def add(med, prop, level, note, sources, score=None):
    ROWS.append({"medicine": med, "property": prop, "level": level, "score": score,
                 "note": note, "sources": list(sources)})

SRC = []
def src(key, kind, short, title, year, publisher, url, region, notes, authors=""):
    SRC.append({"model": "treatments.source", "fields": {
        "status": "published", "last_reviewed": "2026-12-02", "next_review_due": "2027-12-02",
        "key": key, "kind": kind, "short_name": short, "title": title, "authors": authors,
        "year": year, "publisher": publisher, "doi": "", "pmid": "", "url": url,
        "region": region, "superseded": False, "notes": notes}})

B = "ags-beers-2023"
# ---------------------------------------------------------------- 1. sedating antihistamines
add("chlorpheniramine", "sedating-antihistamine", "",
    "Beers 2023 Table 2 lists chlorpheniramine (UK: chlorphenamine) as a first-generation antihistamine to avoid (highly anticholinergic).", [B])
add("promethazine", "sedating-antihistamine", "",
    "Beers 2023 Table 2 lists promethazine as a first-generation antihistamine to avoid (highly anticholinergic).", [B])
add("diphenhydramine", "sedating-antihistamine", "",
    "OTC Drug Facts: marked drowsiness may occur and alcohol, sedatives and tranquilisers increase it.", ["label-diphenhydramine-otc"])
add("meclizine", "sedating-antihistamine", "",
    "Meclizine label: drowsiness may occur; CNS depression may increase with alcohol, tranquilisers and sedatives.", ["label-meclizine"])

# ---------------------------------------------------------------- 2. barbiturates
add("butalbital", "barbiturate", "",
    "Fioricet label: butalbital is a short- to intermediate-acting barbiturate.", ["label-fioricet"])
add("phenobarbital", "barbiturate", "",
    "WHO ATC N03AA (barbiturates and derivatives), code N03AA02.", ["who-atc-index"])
add("primidone", "barbiturate", "",
    "WHO ATC places primidone in N03AA (barbiturates and derivatives); it is partly metabolised to phenobarbital.", ["who-atc-index"])

# ---------------------------------------------------------------- 6. Beers CNS-active (aux list read)
for med, cls in [("phenobarbital", "antiepileptic"), ("clomipramine", "antidepressant (TCA)"),
                 ("levomilnacipran", "antidepressant (SNRI)"), ("clozapine", "antipsychotic"),
                 ("chlorpromazine", "antipsychotic"), ("meperidine", "opioid"),
                 ("oxymorphone", "opioid"), ("perampanel", "antiepileptic"),
                 ("metaxalone", "skeletal muscle relaxant"), ("carisoprodol", "skeletal muscle relaxant")]:
    add(med, "beers-cns-active", "",
        f"Beers 2023 Table 5 CNS-active drug list names it as {cls}; avoid combining 3 or more.", [B])

# ---------------------------------------------------------------- 7. opioids / serotonergic opioids
add("meperidine", "opioid", "", "Opioid analgesic (Beers 2023 CNS-active list: opioids); FDA 2016 opioid class labelling.",
    [B, "fda-dsc-opioids-2016"])
add("oxymorphone", "opioid", "", "Opioid analgesic (Beers 2023 CNS-active list: opioids).", [B])
add("fentanyl", "opioid", "", "Opioid analgesic covered by the FDA 2016 opioid class safety communication.",
    ["fda-dsc-opioids-2016"])
add("fentanyl", "serotonergic", "",
    "FDA 2016: serotonin syndrome reports were more frequent with fentanyl and methadone at recommended doses.",
    ["fda-dsc-opioids-2016", "fda-sllc-5ht3-serotonin-2014"])
add("meperidine", "serotonergic", "",
    "FDA 2016 names meperidine among opioids already carrying a serotonin-syndrome warning.",
    ["fda-dsc-opioids-2016", "fda-sllc-cyclobenzaprine-2013"])

# ---------------------------------------------------------------- 5. anticoagulant/antiplatelet re-cited to own labels
add("apixaban", "anticoagulant", "",
    "Eliquis label boxed warning: an oral anticoagulant (factor Xa inhibitor); NSAIDs, platelet inhibitors and other anticoagulants raise bleeding risk.",
    ["label-eliquis"])
add("rivaroxaban", "anticoagulant", "",
    "Xarelto label boxed warning: an oral anticoagulant (factor Xa inhibitor); NSAIDs, platelet inhibitors and other anticoagulants raise bleeding risk.",
    ["label-xarelto"])
add("clopidogrel", "antiplatelet", "",
    "Plavix label: inhibits platelet activation and aggregation via P2Y12; bleeding risk rises with NSAIDs and warfarin.",
    ["label-plavix"])
add("ticagrelor", "antiplatelet", "",
    "Brilinta label: a P2Y12 platelet inhibitor; bleeding is the main risk.", ["label-brilinta"])


add("hydroxyzine", "sedating-antihistamine", "",
    "PDR (label-based) classes hydroxyzine (Vistaril) as a first-generation antihistamine; label warns it potentiates CNS depressants.",
    ["label-vistaril"])

# ---------------------------------------------------------------- 4. contraceptive inducers (UK SPS list)
SPS = "sps-contraception-enzyme-inducers"
for med, what in [("rifampin", "antibacterial (UK rifampicin)"), ("rifabutin", "antibacterial"),
                  ("eslicarbazepine", "antiepileptic"), ("phenobarbital", "antiepileptic"),
                  ("primidone", "antiepileptic"), ("rufinamide", "antiepileptic"),
                  ("ritonavir", "antiretroviral"), ("efavirenz", "antiretroviral"),
                  ("nevirapine", "antiretroviral"), ("st-johns-wort", "herbal")]:
    add(med, "contraceptive-inducer", "",
        f"NHS SPS: enzyme-inducing {what} that lowers the efficacy of combined and progestogen-only pills and implants.", [SPS])
add("perampanel", "contraceptive-inducer", "",
    "NHS SPS lists perampanel among enzyme-inducing antiepileptics that reduce contraceptive efficacy (dose-related; threshold not stated in the part read).", [SPS])

# ---------------------------------------------------------------- 3. seizure threshold
NEC = "necsu-tapentadol-seizures-2019"
add("tapentadol", "seizure-threshold", "",
    "EU/UK regulator advice: tapentadol can induce seizures; caution in epilepsy and with other seizure-threshold-lowering drugs.", [NEC])
add("amitriptyline", "seizure-threshold", "",
    "Amitriptyline product monograph: lowers the convulsive threshold; regulator advice names TCAs as seizure-threshold-lowering.",
    ["label-pms-amitriptyline-ca", NEC])
for med in ["nortriptyline", "imipramine", "desipramine", "doxepin", "clomipramine"]:
    add(med, "seizure-threshold", "",
        "Class statement: EU/UK regulator advice names TCAs among medicines that lower the seizure threshold (own label not read).", [NEC])
for med in ["aripiprazole", "olanzapine", "quetiapine", "risperidone", "clozapine", "chlorpromazine"]:
    add(med, "seizure-threshold", "",
        "Class statement: EU/UK regulator advice names antipsychotics among medicines that lower the seizure threshold (own label not read).", [NEC])
add("ciprofloxacin", "seizure-threshold", "",
    "Ciprofloxacin label: convulsive seizures reported; caution in patients with CNS disorders that lower the seizure threshold.",
    ["label-ciprofloxacin"])

json.dump(ROWS, open("properties.json", "w"), indent=1)

# ---------------------------------------------------------------- sources
src("label-diphenhydramine-otc", "label", "Diphenhydramine OTC Drug Facts",
    "ALLERGY (diphenhydramine HCl 25 mg) tablet: OTC Drug Facts label (DailyMed)", 2021, "US NLM DailyMed",
    "https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid=a1e4781a-6715-461a-9289-94da68129f4a", "US",
    "Warnings 'When using this product': marked drowsiness; alcohol, sedatives, tranquilizers increase drowsiness. Read 2026-12-02 (stored DailyMed page, updated 2021-10-06).")
src("label-meclizine", "label", "Meclizine US label",
    "Meclizine hydrochloride tablets USP 12.5/25 mg: US prescribing information (Warnings; Drug Interactions)", 2026,
    "US FDA / DailyMed (label reproduction)",
    "http://www.druginteractionchecker.com/meclizine-hydrochloride-12-5-mg-oral-tablet", "US",
    "Label text reproduced (NDC 51079-423): drowsiness warning; increased CNS depression with other CNS depressants incl. alcohol, tranquilizers, sedatives; CYP2D6 metabolism. Read 2026-12-02; confirm against DailyMed SPL before publishing.")
src("label-fioricet", "label", "Fioricet US label",
    "FIORICET (butalbital, acetaminophen and caffeine tablets USP): US prescribing information (Description)", 2026,
    "US FDA / DailyMed (label reproduction)",
    "https://dailymed.nlm.nih.gov/dailymed/search.cfm?query=fioricet", "US",
    "Description section read in a reproduction (recallguide.org/drug/fioricet): butalbital (5-allyl-5-isobutylbarbituric acid) is a short to intermediate-acting barbiturate; habit-forming. Read 2026-12-02; SPL set id not confirmed.")
src("label-eliquis", "label", "Eliquis US label",
    "ELIQUIS (apixaban) tablets: US prescribing information (boxed warning; indications)", 2026, "US NLM DailyMed",
    "https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid=dbf07ee1-d09a-4d12-9812-58a76e96ef10", "US",
    "Read 2026-12-02 via fda.report copy of this DailyMed SPL (repackager Bryant Ranch Prepack; same text as the BMS label): boxed warning calls ELIQUIS an oral anticoagulant and lists NSAIDs, platelet inhibitors and other anticoagulants as raising spinal/epidural haematoma risk. Shared key name agreed with helper profiles_pk2.")
src("label-xarelto", "label", "Xarelto US label",
    "XARELTO (rivaroxaban) tablets: US prescribing information (boxed warning)", 2026, "US FDA / DailyMed",
    "https://dailymed.nlm.nih.gov/dailymed/search.cfm?query=xarelto", "US",
    "Boxed warning read in an RxList reproduction (globalrph.com/rx-list/xarelto-drug): premature discontinuation of any oral anticoagulant including XARELTO; NSAIDs, platelet inhibitors, other anticoagulants raise haematoma risk. Read 2026-12-02; SPL set id not confirmed. Shared key name agreed with helper profiles_pk2.")
src("label-plavix", "label", "Plavix US label",
    "PLAVIX (clopidogrel bisulfate) tablets: US prescribing information (indications, mechanism, drug interactions)", 2026,
    "US FDA / DailyMed", "https://dailymed.nlm.nih.gov/dailymed/search.cfm?query=plavix", "US",
    "Read 2026-12-02 in reproductions of the FDA insert (wikidoc Clopidogrel; druginteractionchecker.com/3240-2): P2Y12 ADP-receptor inhibition of platelet aggregation; NSAIDs raise GI bleeding; warfarin raises bleeding; avoid CYP2C19 inhibitors (omeprazole). SPL set id not confirmed. Shared key name agreed with helper profiles_pk2.")
src("label-brilinta", "label", "Brilinta US label",
    "BRILINTA (ticagrelor) tablets: US prescribing information (indications)", 2026, "US FDA / DailyMed",
    "https://dailymed.nlm.nih.gov/dailymed/search.cfm?query=brilinta", "US",
    "Indications 1.1 read in a wikidoc reproduction of the AstraZeneca label (2014): BRILINTA is a P2Y12 platelet inhibitor; avoid aspirin maintenance >100 mg. Read 2026-12-02; SPL set id not confirmed.")

src("label-vistaril", "label", "Vistaril (PDR drug summary)",
    "VISTARIL (hydroxyzine pamoate) and hydroxyzine hydrochloride: PDR drug summary based on the US label", 2026, "PDR.net",
    "https://pdr.net/drug-summary/?drugLabelId=744", "US",
    "Classes hydroxyzine as a first-generation antihistamine (also anxiolytic, antiemetic). The label's CNS-depressant potentiation statement was read only in a translated label copy (Hospital Israelita Albert Einstein manual). Read 2026-12-02.")
src("sps-contraception-enzyme-inducers", "reference", "SPS: contraception with enzyme inducers",
    "Using contraception with enzyme-inducing medicines (NHS Specialist Pharmacy Service)", 2024, "NHS Specialist Pharmacy Service",
    "https://spsuat.devitup.co/articles/using-contraception-with-enzyme-inducing-medicines", "UK",
    "Read 2026-12-02 in a staging copy of the SPS article (canonical page expected under sps.nhs.uk/articles/; year of the version not seen, 2024 is a placeholder - check). Lists CYP3A4 inducers that reduce COC/POP/implant efficacy: rifampicin, rifabutin, carbamazepine, eslicarbazepine, oxcarbazepine, perampanel, phenobarbital, phenytoin, primidone, rufinamide, topiramate (>=200 mg/day), ritonavir, efavirenz, nevirapine, St John's wort.")
src("necsu-tapentadol-seizures-2019", "regulatory", "NECSU: tapentadol seizures and serotonin syndrome",
    "Tapentadol - risk of seizures and serotonin syndrome (NHS North of England CSU summary of EU/UK regulator advice)", 2019,
    "NHS North of England Commissioning Support (Medicines)",
    "https://medicines.necsu.nhs.uk/tapentadol-risk-of-seizures-serotonin-syndrome/", "UK",
    "Summarises EU-wide review / MHRA advice: tapentadol can induce seizures; caution in epilepsy; may raise seizure risk with other seizure-threshold-lowering drugs (SSRIs, SNRIs, TCAs, antipsychotics); serotonin syndrome with serotonergic antidepressants. Year taken as 2019 (date of the EU review not shown in the part read - check). Read 2026-12-02.")
src("label-pms-amitriptyline-ca", "label", "pms-Amitriptyline (Canada) PI",
    "pms-AMITRIPTYLINE (amitriptyline hydrochloride tablets USP): Canadian prescribing information (Pharmascience, rev. 25 April 2019)", 2019,
    "Pharmascience Inc.", "https://docslib.org/doc/3663393/amitriptyline-hydrochloride-tablets-usp-10-mg-25-mg-50-mg-75-mg-and-100-mg", "INTL",
    "Actions and Clinical Pharmacology: amitriptyline inhibits noradrenaline and serotonin reuptake, is strongly anticholinergic and lowers the convulsive threshold. Read 2026-12-02 in a docslib copy; Health Canada DPD is the primary source.")
src("label-ciprofloxacin", "label", "Ciprofloxacin US label",
    "Ciprofloxacin tablets USP: US prescribing information (Adverse Reactions, CNS)", 2026, "DrugCentral (SPL copy)",
    "https://drugcentral.org/label/4144009e-e956-4fec-b5b7-a4950168e055/view", "US",
    "Adverse reactions (CNS) list convulsive seizures and grand mal convulsion; a MIMS copy of the label adds caution in patients with lowered convulsion threshold. Read 2026-12-02.")

json.dump(SRC, open("new_sources.json", "w"), indent=1)
print(len(ROWS), "rows;", len(SRC), "sources")
