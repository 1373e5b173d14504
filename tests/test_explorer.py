from decimal import Decimal

import pytest

from treatments import explorer, medicines
from treatments.explorer import Filters, make_patient

from .conftest import make_drug

FILTER_FIELDS = set(Filters.__dataclass_fields__)


def run(world, **inputs):
    """Evaluate the world's condition for a patient (make_patient's inputs) with option filters (Filters')."""
    data = explorer.load_condition(world["condition"])
    vocabulary = medicines.load_vocabulary()
    filters = Filters(**{k: v for k, v in inputs.items() if k in FILTER_FIELDS})
    patient_inputs = {k: v for k, v in inputs.items() if k not in FILTER_FIELDS}
    patient_inputs["current"] = vocabulary.current(patient_inputs.get("current", ()))
    data = explorer.with_current(data, vocabulary, patient_inputs["current"])
    return explorer.evaluate(data, make_patient(**patient_inputs), filters)


def option(result, slug, kind=None):
    matches = [o for o in result.options if o.slug == slug and (kind is None or o.kind == kind)]
    assert matches, f"{slug} not in results"
    return matches[0]


def test_options_are_grouped_by_best_line_across_guidelines(world):
    result = run(world)
    assert [g.line for g in result.groups] == ["first", "second", "third", "inconclusive", "not_recommended"]
    assert option(result, "tramadol").line == "second"  # NeuPSIG second line beats NICE specialist


def test_guidelines_disagree_marker_when_lines_differ(world):
    result = run(world)
    assert option(result, "tramadol").disagree is True
    assert option(result, "pregabalin", "drug").disagree is False


def test_crcl_20_caps_pregabalin_at_150_mg(world):
    pregabalin = option(run(world, crcl=20), "pregabalin", "drug")
    assert pregabalin.max_daily_dose.value == Decimal("150")
    assert "at most 150 mg/day" in pregabalin.max_daily_dose.text
    assert pregabalin.status == explorer.CAUTION


def test_crcl_20_marks_duloxetine_avoid(world):
    duloxetine = option(run(world, crcl=20), "duloxetine", "drug")
    assert duloxetine.status == explorer.AVOID
    assert duloxetine.max_daily_dose.avoid is True


@pytest.mark.parametrize(
    ("crcl", "expected"),
    [
        (90, Decimal("600")),
        (60, Decimal("600")),
        (59, Decimal("300")),
        (30, Decimal("300")),
        (29, Decimal("150")),
        (14, Decimal("75")),
    ],
)
def test_pregabalin_band_edges(world, crcl, expected):
    assert option(run(world, crcl=crcl), "pregabalin", "drug").max_daily_dose.value == expected


def test_no_crcl_shows_the_indication_maximum_and_asks_for_kidney_function(world):
    limit = option(run(world), "pregabalin", "drug").max_daily_dose
    assert (limit.value, limit.renal, limit.needs_kidney_function) == (Decimal("600"), False, True)
    assert "enter it" in limit.text


def test_older_adult_flags_tricyclics_per_beers(world):
    result = run(world, age=72)
    amitriptyline = option(result, "amitriptyline")
    assert amitriptyline.status == explorer.AVOID
    assert any(f.applies_when == "Age ≥ 65" and f.sources[0].key == "beers" for f in amitriptyline.flags)
    tcas = option(result, "tricyclic-antidepressants")
    assert tcas.status == explorer.AVOID


def test_age_below_65_does_not_flag_tricyclics(world):
    assert option(run(world, age=50), "amitriptyline").status == explorer.OK


def test_hla_b_1502_contraindicates_carbamazepine_and_lists_it_apart(world):
    result = run(world, genotypes={"hla_b1502": "positive"})
    carbamazepine = option(result, "carbamazepine")
    assert carbamazepine.status == explorer.CONTRAINDICATED
    assert carbamazepine in result.contraindicated
    assert all(carbamazepine not in g.options for g in result.groups)
    assert "SJS/TEN." in carbamazepine.flags[0].text


def test_class_is_contraindicated_only_when_every_member_is_and_lists_each_members_status(world):
    positive = {"hla_b1502": "positive"}
    assert option(run(world, genotypes=positive), "sodium-channel-blockers").status == explorer.CONTRAINDICATED
    make_drug("lamotrigine", world["classes"]["sodium-channel-blockers"], generic_name="Lamotrigine")
    scbs = option(run(world, genotypes=positive), "sodium-channel-blockers")
    assert scbs.status == explorer.OK  # as usable as its best member
    assert {(mb.name, mb.status) for mb in scbs.member_statuses} == {
        ("Carbamazepine", explorer.CONTRAINDICATED),
        ("Lamotrigine", explorer.OK),
        ("Oxcarbazepine", explorer.CONTRAINDICATED),
    }
    assert {f.subject for f in scbs.flags} == {"Carbamazepine", "Oxcarbazepine"}


def test_old_hla_factor_maps_onto_the_gene_result(world):
    carbamazepine = option(run(world, factors=frozenset({"hla-b-1502-positive"})), "carbamazepine")
    assert carbamazepine.status == explorer.CONTRAINDICATED


@pytest.mark.parametrize(("result", "notices"), [(None, 1), ("negative", 0), ("positive", 0)])
def test_carbamazepine_asks_for_the_hla_test_only_when_not_tested(world, result, notices):
    genotypes = {"hla_b1502": result} if result else {}
    carbamazepine = option(run(world, genotypes=genotypes), "carbamazepine")
    assert len(carbamazepine.notices) == notices
    if not result:
        assert carbamazepine.status == explorer.OK and "HLA-B*15:02" in carbamazepine.notices[0].level_label


def test_hide_contraindicated_removes_them(world):
    result = run(world, genotypes={"hla_b1502": "positive"}, hide_contraindicated=True)
    assert result.contraindicated == ()
    assert "carbamazepine" not in [o.slug for o in result.options]


def test_pregnancy_flags_valproate(world):
    valproate = option(run(world, factors=frozenset({"pregnancy"})), "valproate")
    assert valproate.status == explorer.CONTRAINDICATED


def test_epilepsy_flags_tramadol_for_seizure_threshold(world):
    tramadol = option(run(world, factors=frozenset({"epilepsy"})), "tramadol")
    assert tramadol.status == explorer.CAUTION
    assert "seizure" in tramadol.flags[0].text


def test_depression_shows_may_also_help_for_snris(world):
    snris = option(run(world, factors=frozenset({"depression"})), "snris")
    assert [b.applies_when for b in snris.benefits] == ["Depression"]
    assert snris.status == explorer.OK


def test_current_medication_interaction_is_flagged(world):
    duloxetine = option(run(world, current=("tramadol",)), "duloxetine")
    assert [(other, i.severity) for other, i in duloxetine.interactions] == [("Tramadol", "major")]
    assert duloxetine.status == explorer.CAUTION


@pytest.mark.parametrize(
    ("criteria", "expected_kinds"),
    [
        ({"kinds": frozenset({"procedure"})}, {"procedure"}),
        ({"kinds": frozenset({"drug_class"})}, {"drug_class"}),
        ({"kinds": frozenset({"drug", "procedure"})}, {"drug", "procedure"}),
    ],
)
def test_kind_filter(world, criteria, expected_kinds):
    assert {o.kind for o in run(world, **criteria).options} == expected_kinds


def test_line_filter(world):
    result = run(world, lines=frozenset({"second"}))
    assert [o.slug for o in result.options] == ["tramadol"]


def test_guideline_filter_shows_one_guidelines_view(world):
    result = run(world, guideline="nice")
    assert all(p.source.key == "nice" for o in result.options for p in o.positions)
    assert option(result, "tramadol").line == "specialist"
    assert "gabapentinoids" not in [o.slug for o in result.options]


def test_min_strength_filter_drops_weaker_options(world):
    result = run(world, min_strength="strong_for")
    assert "tramadol" not in [o.slug for o in result.options]
    assert "pregabalin" in [o.slug for o in result.options]


def test_route_and_site_filters(world):
    assert {o.kind for o in run(world, routes=frozenset({"device"})).options} == {"procedure"}
    central = run(world, sites=frozenset({"central"}))
    assert central.options and all(o.site_of_action in ("central", "both") for o in central.options)


def test_drug_class_filter(world):
    result = run(world, drug_classes=frozenset({"snris"}))
    assert {o.slug for o in result.options} == {"snris", "duloxetine"}


def test_facet_counts_ignore_their_own_filter(world):
    result = run(world, kinds=frozenset({"procedure"}))
    counts = {f.value: f.count for f in result.facets["kind"]}
    assert counts["procedure"] == 1
    assert counts["drug"] == 6  # shown so the clinician can add drugs back


def test_describe_sentence():
    sentence = explorer.describe(
        "Painful diabetic neuropathy",
        make_patient(age=72, crcl=25, factors=frozenset({"depression"})),
        {"depression": "Depression"},
        ["Tramadol"],
    )
    assert sentence == (
        "Options for painful diabetic neuropathy in a 72-year-old with CrCl 25 mL/min and depression, taking Tramadol"
    )


def test_describe_keeps_acronyms():
    assert explorer.describe("CIDP", make_patient(), {}) == "Options for CIDP"


def test_within_a_line_medicines_come_before_procedures_and_stronger_before_weaker(world):
    from treatments import models as m

    care = m.Procedure.objects.create(
        slug="foot-care",
        name="Foot care",
        category=m.Procedure.Category.SELF_CARE,
        invasiveness=m.Procedure.Invasiveness.NON_INVASIVE,
        route=m.Route.NON_DRUG,
        description="Daily foot checks.",
        status="published",
    )
    indication = m.ProcedureIndication.objects.create(
        condition=world["condition"], procedure=care, role=m.ProcedureRole.FIRST_LINE, evidence="x", status="published"
    )
    indication.sources.add(world["sources"]["nice"])
    first = next(g for g in run(world, age=72).groups if g.line == "first")
    assert first.options[-1].slug == "foot-care"  # no flags, but a procedure: after the medicines
    strengths = [o.best_strength for o in first.options[:-1]]
    assert strengths == sorted(strengths, reverse=True)


@pytest.mark.parametrize(
    ("entered", "slugs", "unknown"),
    [
        (["pregabalin"], ["pregabalin"], []),  # slug
        (["DULOXETINE", " Gabapentin "], ["duloxetine", "gabapentin"], []),  # generic name, any case
        (["lyrica"], ["pregabalin"], []),  # a whole brand name
        (["Lyr"], [], ["Lyr"]),  # part of a brand name is not a name
        (["pregabalin", "Lyrica"], ["pregabalin"], []),  # the same drug twice counts once
        (["unobtainium", "tramadol"], ["tramadol"], ["unobtainium"]),
    ],
)
def test_load_drugs_resolves_slugs_generic_and_brand_names(world, entered, slugs, unknown):
    lookup = explorer.load_drugs(entered)
    assert lookup.resolve(entered) == (slugs, unknown)


def test_load_drugs_finds_no_unpublished_drug(world):
    make_drug("withdrawn", generic_name="Withdrawn", status="in_review")
    assert explorer.load_drugs(["withdrawn"]).resolve(["withdrawn"]) == ([], ["withdrawn"])


def test_load_condition_reads_only_the_conditions_own_drugs_and_their_interactions(world):
    from .conftest import make_class, make_interaction

    elsewhere = make_class("elsewhere-class")
    a, b = make_drug("elsewhere-a", elsewhere), make_drug("elsewhere-b", elsewhere)
    make_interaction("elsewhere-pair", world["sources"]["label"], "moderate", drug_a=a, drug_b=b)
    data = explorer.load_condition(world["condition"])
    members = {d.slug for t in data.targets for d in t.members}
    assert members and not members & {"elsewhere-a", "elsewhere-b"}
    assert data.interactions and "elsewhere-pair" not in {i.key for i in data.interactions}
    assert "elsewhere-class" not in dict(data.drug_classes)
