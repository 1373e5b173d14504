# ClinCalc listed_name -> (combo_slug or None, [ingredient slugs])
import csv, json, re
SPECIAL = {
 "Dextroamphetamine; Dextroamphetamine Saccharate; Amphetamine; Amphetamine Aspartate": ("dextroamphetamine-and-amphetamine", ["dextroamphetamine","amphetamine"]),
 "Acetaminophen; Hydrocodone": ("hydrocodone-and-acetaminophen", ["hydrocodone","acetaminophen"]),
 "Hydrochlorothiazide; Lisinopril": ("lisinopril-and-hydrochlorothiazide", ["lisinopril","hydrochlorothiazide"]),
 "Fluticasone; Salmeterol": ("fluticasone-and-salmeterol", ["fluticasone","salmeterol"]),
 "Hydrochlorothiazide; Losartan": ("losartan-and-hydrochlorothiazide", ["losartan","hydrochlorothiazide"]),
 "Amoxicillin; Clavulanate": ("amoxicillin-and-clavulanate", ["amoxicillin","clavulanate"]),
 "Budesonide; Formoterol": ("budesonide-and-formoterol", ["budesonide","formoterol"]),
 "Ethinyl Estradiol; Norethindrone": ("norethindrone-and-ethinyl-estradiol", ["norethindrone","ethinyl-estradiol"]),
 "Acetaminophen; Oxycodone": ("oxycodone-and-acetaminophen", ["oxycodone","acetaminophen"]),
 "Ethinyl Estradiol; Norgestimate": ("norgestimate-and-ethinyl-estradiol", ["norgestimate","ethinyl-estradiol"]),
 "Hydrochlorothiazide; Triamterene": ("triamterene-and-hydrochlorothiazide", ["triamterene","hydrochlorothiazide"]),
 "Fluticasone; Umeclidinium; Vilanterol": ("fluticasone-and-umeclidinium-and-vilanterol", ["fluticasone","umeclidinium","vilanterol"]),
 "Isosorbide": (None, ["isosorbide-mononitrate|isosorbide-dinitrate"]),
 "Sulfamethoxazole; Trimethoprim": ("sulfamethoxazole-and-trimethoprim", ["sulfamethoxazole","trimethoprim"]),
 "Ethinyl Estradiol; Levonorgestrel": ("levonorgestrel-and-ethinyl-estradiol", ["levonorgestrel","ethinyl-estradiol"]),
 "Fluticasone; Vilanterol": ("fluticasone-and-vilanterol", ["fluticasone","vilanterol"]),
 "Drospirenone; Ethinyl Estradiol": ("drospirenone-and-ethinyl-estradiol", ["drospirenone","ethinyl-estradiol"]),
 "Insulin Human; Insulin Isophane Human": ("insulin-isophane-human-and-insulin-human", ["insulin-isophane-human","insulin-human"]),
 "Nirmatrelvir; Ritonavir": ("nirmatrelvir-and-ritonavir", ["nirmatrelvir","ritonavir"]),
 "Ethinyl Estradiol; Etonogestrel": ("etonogestrel-and-ethinyl-estradiol", ["etonogestrel","ethinyl-estradiol"]),
 "Magnesium Salts": (None, []),
 "Albuterol; Ipratropium": ("ipratropium-and-albuterol", ["ipratropium","albuterol"]),
 "Amlodipine; Benazepril": ("amlodipine-and-benazepril", ["amlodipine","benazepril"]),
 "Sacubitril; Valsartan": ("sacubitril-and-valsartan", ["sacubitril","valsartan"]),
 "Calcium": (None, []),
 "Emtricitabine; Tenofovir": ("emtricitabine-and-tenofovir", ["emtricitabine","tenofovir"]),
 "Acetaminophen; Codeine": ("codeine-and-acetaminophen", ["codeine","acetaminophen"]),
 "Desogestrel; Ethinyl Estradiol": ("desogestrel-and-ethinyl-estradiol", ["desogestrel","ethinyl-estradiol"]),
 "Sodium Salts": (None, []),
 "Dorzolamide; Timolol": ("dorzolamide-and-timolol", ["dorzolamide","timolol"]),
 "Betamethasone; Clotrimazole": ("clotrimazole-and-betamethasone", ["clotrimazole","betamethasone"]),
 "Senna; Docusate": ("senna-and-docusate", ["senna","docusate"]),
 "Polymyxin B; Trimethoprim": ("trimethoprim-and-polymyxin-b", ["trimethoprim","polymyxin-b"]),
 "Dextromethorphan; Promethazine": ("promethazine-and-dextromethorphan", ["promethazine","dextromethorphan"]),
 "Pancrelipase Amylase; Pancrelipase Lipase; Pancrelipase Protease": (None, ["pancrelipase"]),
 "Dexamethasone; Neomycin; Polymyxin B": ("neomycin-and-polymyxin-b-and-dexamethasone", ["neomycin","polymyxin-b","dexamethasone"]),
 "Calcium Phosphate; Cholecalciferol": ("calcium-phosphate-and-cholecalciferol", ["calcium-phosphate","cholecalciferol"]),
 "Acetaminophen; Butalbital; Caffeine": ("butalbital-and-acetaminophen-and-caffeine", ["butalbital","acetaminophen","caffeine"]),
 "Codeine; Guaifenesin": ("guaifenesin-and-codeine", ["guaifenesin","codeine"]),
 "Polyethylene Glycol 3350 With Electrolytes": (None, ["polyethylene-glycol-3350-with-electrolytes"]),
 "Brompheniramine; Dextromethorphan; Pseudoephedrine": ("brompheniramine-and-pseudoephedrine-and-dextromethorphan", ["brompheniramine","pseudoephedrine","dextromethorphan"]),
 "Ethinyl Estradiol; Norgestrel": ("norgestrel-and-ethinyl-estradiol", ["norgestrel","ethinyl-estradiol"]),
 "Ciprofloxacin; Dexamethasone": ("ciprofloxacin-and-dexamethasone", ["ciprofloxacin","dexamethasone"]),
 "Ethinyl Estradiol; Norelgestromin": ("norelgestromin-and-ethinyl-estradiol", ["norelgestromin","ethinyl-estradiol"]),
 "Atropine; Diphenoxylate": ("diphenoxylate-and-atropine", ["diphenoxylate","atropine"]),
 "Lactate": (None, []),
 "Loratadine; Pseudoephedrine": ("loratadine-and-pseudoephedrine", ["loratadine","pseudoephedrine"]),
}
def slug(n): return re.sub(r'[^a-z0-9]+','-',n.lower()).strip('-')
def mapname(n):
    if n in SPECIAL: return SPECIAL[n]
    assert ';' not in n, n
    return (None,[slug(n)])
rows=[]
for l in open('clincalc2023_raw.tsv'):
    r,n=l.rstrip('\n').split('\t'); combo,ings=mapname(n)
    rows.append(dict(rank=int(r),listed_name=n,combo=combo,ingredients=ings))
json.dump(rows,open('us_rows.json','w'),indent=0)
if __name__=='__main__':
    import sys
    w=csv.writer(open('/work/scratch/i15/vocab/top_us.csv','w',newline=''))
    w.writerow(['rank','listed_name','ingredients','brands'])
    for x in rows: w.writerow([x['rank'],x['listed_name'],';'.join(x['ingredients']),''])
    print(len(rows))
