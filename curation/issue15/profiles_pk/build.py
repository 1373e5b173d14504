import json, csv, os
OUT = '/work/scratch/i15/profiles_pk'
rows = []
def add(m, p, l, note, src, score=None):
    rows.append({"medicine": m, "property": p, "level": l, "score": score, "note": note, "sources": src})

T = ["fda-ddi-table"]; TE = ["fda-ddi-table", "fda-ddi-examples-hcp"]
CI = " (FDA clinical index/example drug)"
# ---- FDA table: CYP2D6 inhibitors (corroborated: FDA HCP examples page as quoted in two stored copies)
for d in ["bupropion", "fluoxetine", "paroxetine", "quinidine", "terbinafine"]:
    add(d, "cyp2d6-inhibitor", "strong", "FDA table: strong CYP2D6 inhibitor" + CI + ".", TE)
for d in ["abiraterone", "cinacalcet", "duloxetine", "mirabegron", "rolapitant"]:
    add(d, "cyp2d6-inhibitor", "moderate", "FDA table: moderate CYP2D6 inhibitor" + CI + ".", TE)
# ---- CYP2C19
for d in ["fluconazole", "fluoxetine", "fluvoxamine", "ticlopidine"]:
    add(d, "cyp2c19-inhibitor", "strong", "FDA table: strong CYP2C19 inhibitor" + CI + ".", T)
add("felbamate", "cyp2c19-inhibitor", "moderate", "FDA table: moderate CYP2C19 inhibitor" + CI + ".", T)
add("rifampin", "cyp2c19-inducer", "strong", "FDA table: strong CYP2C19 inducer" + CI + ".", T)
for d in ["apalutamide", "efavirenz", "enzalutamide", "phenytoin"]:
    add(d, "cyp2c19-inducer", "moderate", "FDA table: moderate CYP2C19 inducer" + CI + ".", T)
# ---- CYP3A
for d in ["clarithromycin", "itraconazole", "ketoconazole", "nefazodone", "ritonavir", "voriconazole",
          "posaconazole", "cobicistat", "idelalisib", "nelfinavir", "indinavir", "saquinavir", "lopinavir"]:
    add(d, "cyp3a4-inhibitor", "strong", "FDA table: strong CYP3A inhibitor" + CI + ".", T)
for d in ["aprepitant", "ciprofloxacin", "crizotinib", "cyclosporine", "diltiazem", "dronedarone",
          "erythromycin", "fluconazole", "imatinib", "verapamil"]:
    add(d, "cyp3a4-inhibitor", "moderate", "FDA table: moderate CYP3A inhibitor" + CI + ".", T)
for d in ["apalutamide", "carbamazepine", "enzalutamide", "mitotane", "phenytoin", "rifampin", "st-johns-wort"]:
    src = T + (["label-tegretol"] if d == "carbamazepine" else []) + (["label-dilantin-infatabs"] if d == "phenytoin" else [])
    add(d, "cyp3a4-inducer", "strong", "FDA table: strong CYP3A inducer" + CI + ".", src)
for d in ["bosentan", "efavirenz", "etravirine", "modafinil", "phenobarbital"]:
    add(d, "cyp3a4-inducer", "moderate", "FDA table: moderate CYP3A inducer" + CI + ".", T)
# ---- CYP1A2
for d in ["fluvoxamine", "ciprofloxacin"]:
    add(d, "cyp1a2-inhibitor", "strong", "FDA table: strong CYP1A2 inhibitor" + CI + ".", T)
add("mexiletine", "cyp1a2-inhibitor", "moderate", "FDA table: moderate CYP1A2 inhibitor" + CI + "; mexiletine label also warns on CYP1A2 substrates.", T + ["label-mexiletine"])
add("ethinyl-estradiol", "cyp1a2-inhibitor", "moderate", "FDA table: oral contraceptives (ethinyl estradiol) are moderate CYP1A2 inhibitors" + CI + ".", T)
for d in ["phenytoin", "rifampin"]:
    add(d, "cyp1a2-inducer", "moderate", "FDA table: moderate CYP1A2 inducer" + CI + ".", T)
# ---- Substrates (FDA sensitive / moderate sensitive)
for d in ["alfentanil", "avanafil", "buspirone", "conivaptan", "darifenacin", "darunavir", "everolimus",
          "ibrutinib", "lomitapide", "lovastatin", "midazolam", "naloxegol", "nisoldipine", "saquinavir",
          "simvastatin", "sirolimus", "tacrolimus", "tipranavir", "triazolam", "vardenafil"]:
    add(d, "cyp3a4-substrate", "sensitive", "FDA table: sensitive CYP3A substrate (AUC up 5-fold or more with strong inhibitor).", T)
for d in ["alprazolam", "aprepitant", "atorvastatin", "colchicine", "eliglustat", "pimozide", "rilpivirine",
          "rivaroxaban", "tadalafil"]:
    add(d, "cyp3a4-substrate", "moderate", "FDA table: moderate sensitive CYP3A substrate (AUC up 2- to 5-fold with strong inhibitor).", T)
add("caffeine", "cyp1a2-substrate", "sensitive", "FDA table: sensitive CYP1A2 index substrate.", T)
add("tizanidine", "cyp1a2-substrate", "sensitive", "FDA table: sensitive CYP1A2 substrate; Zanaflex label contraindicates fluvoxamine and ciprofloxacin.", T + ["label-zanaflex"])
add("omeprazole", "cyp2c19-substrate", "sensitive", "FDA table: sensitive CYP2C19 index substrate.", T)
# ---- Label-level substrates and prodrugs for KB / common drugs (existing keys)
L = [
 ("oxycodone", "cyp3a4-substrate", "label", "OxyContin label (boxed warning): CYP3A4 inhibitors raise and inducers lower oxycodone levels.", ["label-oxycontin"]),
 ("methadone", "cyp3a4-substrate", "label", "Dolophine label: CYP3A4 (and 2B6) inhibitors or inducers alter methadone levels; boxed warning.", ["label-dolophine"]),
 ("duloxetine", "cyp1a2-substrate", "label", "Cymbalta label: avoid potent CYP1A2 inhibitors (e.g. fluvoxamine), which raise duloxetine levels.", ["label-cymbalta"]),
 ("duloxetine", "cyp2d6-substrate", "label", "Cymbalta label: potent CYP2D6 inhibitors raise duloxetine levels.", ["label-cymbalta"]),
 ("amitriptyline", "cyp2d6-substrate", "label", "Label and CPIC TCA guideline: CYP2D6 inhibitors or poor metabolism raise amitriptyline levels.", ["label-amitriptyline", "cpic-tca-2016"]),
 ("nortriptyline", "cyp2d6-substrate", "label", "Label and CPIC TCA guideline: nortriptyline exposure depends on CYP2D6.", ["label-pamelor", "cpic-tca-2016"]),
 ("desipramine", "cyp2d6-substrate", "label", "Label and CPIC TCA guideline: desipramine exposure depends on CYP2D6.", ["label-norpramin", "cpic-tca-2016"]),
 ("imipramine", "cyp2d6-substrate", "label", "CPIC TCA guideline: imipramine metabolism depends on CYP2D6 (and CYP2C19).", ["cpic-tca-2016"]),
 ("tramadol", "cyp2d6-activated", "", "Ultram label and CPIC: CYP2D6 forms the active M1 metabolite; inhibitors reduce analgesia.", ["label-ultram", "cpic-opioids-2021"]),
 ("tramadol", "cyp3a4-substrate", "label", "Ultram label (boxed warning): CYP3A4 inhibitors or inducers change tramadol exposure.", ["label-ultram"]),
 ("codeine", "cyp2d6-activated", "", "CPIC and FDA safety communication: CYP2D6 converts codeine to morphine.", ["cpic-opioids-2021", "fda-dsc-codeine-tramadol-2017"]),
 ("warfarin", "cyp2c9-substrate", "label", "Coumadin label: CYP2C9 inhibitors and inducers change warfarin exposure and INR.", ["label-coumadin"]),
 ("phenytoin", "cyp2c9-substrate", "label", "Dilantin label and CPIC: phenytoin is cleared mainly by CYP2C9.", ["label-dilantin-infatabs", "cpic-phenytoin-2020"]),
 ("phenytoin", "cyp2c19-substrate", "label", "Dilantin label: phenytoin is metabolised by CYP2C9 and CYP2C19; inhibitors raise levels.", ["label-dilantin-infatabs"]),
 ("carbamazepine", "cyp3a4-substrate", "label", "Tegretol label: CYP3A4 inhibitors raise and inducers lower carbamazepine levels.", ["label-tegretol"]),
 ("cyclosporine", "cyp3a4-substrate", "label", "Cyclosporine label: CYP3A4 inhibitors and inducers change cyclosporine levels.", ["label-neoral", "campana-1996-cyclosporin"]),
 ("fluoxetine", "cyp2d6-inhibitor", "strong", "Prozac label: fluoxetine inhibits CYP2D6 (also FDA table strong).", ["label-prozac", "fda-ddi-table"]),
]
for m, p, l, n, s in L:
    # merge label source into an existing row for same medicine/property
    ex = [r for r in rows if r["medicine"] == m and r["property"] == p]
    if ex:
        for x in s:
            if x not in ex[0]["sources"]: ex[0]["sources"].append(x)
        continue
    add(m, p, l, n, s)
# duloxetine moderate 2D6 inhibitor: add label
for r in rows:
    if r["medicine"] == "duloxetine" and r["property"] == "cyp2d6-inhibitor":
        r["sources"].append("label-cymbalta"); r["note"] = "FDA table and Cymbalta label: moderate CYP2D6 inhibitor."
# ---- QT (label only; CredibleMeds categories not verifiable from stored copies)
add("methadone", "qt-prolonging", "known", "Dolophine label boxed warning: QT prolongation and torsades de pointes reported.", ["label-dolophine"])
# ---- ACB (Boustani 2008 scale; scores read from collated copy g-b-f/ACB-data column Boustani2008)
acb = {1: "alprazolam alverine aripiprazole asenapine atenolol bupropion captopril cetirizine chlorthalidone cimetidine clidinium clorazepate codeine colchicine warfarin desloratadine diazepam digoxin dipyridamole disopyramide fentanyl fluvoxamine furosemide haloperidol hydralazine hydrocortisone iloperidone isosorbide-mononitrate isosorbide-dinitrate levocetirizine loperamide loratadine metoprolol morphine nifedipine paliperidone prednisone quinidine ranitidine risperidone theophylline trazodone triamterene venlafaxine",
       2: "amantadine carbamazepine cyclobenzaprine loxapine meperidine methotrimeprazine molindone nefopam oxcarbazepine pimozide",
       3: "amitriptyline amoxapine atropine benztropine brompheniramine carbinoxamine chlorpheniramine chlorpromazine clemastine clomipramine clozapine darifenacin desipramine dicyclomine dimenhydrinate diphenhydramine doxepin doxylamine fesoterodine flavoxate hydroxyzine hyoscyamine imipramine meclizine nortriptyline olanzapine orphenadrine oxybutynin paroxetine perphenazine procyclidine promazine promethazine propantheline propiverine pyrilamine quetiapine scopolamine solifenacin thioridazine tolterodine trifluoperazine trihexyphenidyl trimipramine trospium"}
# cyproheptadine listed 2 in Boustani2008 column
acb[2] += " cyproheptadine"
for s, names in acb.items():
    for d in names.split():
        add(d, "anticholinergic", "", f"ACB scale (Boustani 2008 and update): score {s}.", ["boustani-2008-acb"], score=s)
json.dump(rows, open(f"{OUT}/properties.json", "w"), indent=1)
print(len(rows))
