from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from treatments import models as m

from .conftest import make_band, make_class, make_condition, make_drug, make_interaction, make_source


def integrity_error(callable_):
    with pytest.raises(IntegrityError), transaction.atomic():
        callable_()


@pytest.mark.django_db
def test_slugs_and_keys_are_unique():
    make_condition("pdn")
    integrity_error(lambda: make_condition("pdn"))
    make_source("s1")
    integrity_error(lambda: make_source("s1"))


@pytest.mark.django_db
def test_source_needs_an_identifier():
    integrity_error(lambda: make_source("bare", url=""))


@pytest.mark.django_db
def test_dose_start_above_maximum_is_refused_by_the_database():
    drug = make_drug()
    integrity_error(
        lambda: m.DoseGuidance.objects.create(
            drug=drug, region="US", context="x", starting_dose=Decimal("900"), max_daily_dose=Decimal("600")
        )
    )


@pytest.mark.django_db
def test_dose_clean_names_the_field():
    dose = m.DoseGuidance(
        drug=make_drug(), region="US", context="x", usual_target_high=Decimal("700"), max_daily_dose=Decimal("600")
    )
    with pytest.raises(ValidationError) as exc:
        dose.full_clean()
    assert "usual_target_high" in exc.value.message_dict


@pytest.mark.django_db
def test_renal_band_bounds_must_be_ordered():
    drug, source = make_drug(), make_source()
    integrity_error(lambda: make_band(drug, source, 30, 15, "150"))


@pytest.mark.django_db
def test_renal_band_needs_a_limit_or_avoid():
    drug, source = make_drug(), make_source()
    integrity_error(lambda: make_band(drug, source, 0, 15))


@pytest.mark.django_db
def test_recommendation_targets_exactly_one_thing():
    condition, source, drug = make_condition(), make_source(), make_drug()
    integrity_error(
        lambda: m.Recommendation.objects.create(
            condition=condition, guideline=source, line="first", drug=drug, drug_class=drug.drug_class, wording="x"
        )
    )
    integrity_error(
        lambda: m.Recommendation.objects.create(condition=condition, guideline=source, line="first", wording="x")
    )


@pytest.mark.django_db
def test_one_row_per_guideline_per_option():
    condition, source, drug = make_condition(), make_source(), make_drug()
    m.Recommendation.objects.create(condition=condition, guideline=source, line="first", drug=drug, wording="x")
    integrity_error(
        lambda: m.Recommendation.objects.create(
            condition=condition, guideline=source, line="second", drug=drug, wording="y"
        )
    )


@pytest.mark.django_db
def test_interaction_never_pairs_a_thing_with_itself():
    source, drug = make_source(), make_drug()
    integrity_error(lambda: make_interaction("self", source, "major", drug_a=drug, drug_b=drug))
    cls = make_class()
    integrity_error(lambda: make_interaction("self-class", source, "major", class_a=cls, class_b=cls))


@pytest.mark.django_db
def test_deleting_a_class_with_drugs_is_protected():
    drug = make_drug()
    with pytest.raises(m.models.ProtectedError):
        drug.drug_class.delete()


@pytest.mark.django_db
def test_natural_keys_round_trip():
    drug, source = make_drug("pregabalin"), make_source("label")
    band = make_band(drug, source, 15, 30, "150")
    assert band.natural_key() == ("pregabalin", "US", "", 15)  # "": the column for any indication
    assert m.RenalDoseBand.objects.get_by_natural_key("pregabalin", "US", "", 15) == band
    rec = m.Recommendation.objects.create(
        condition=make_condition("pdn"), guideline=source, line="first", drug=drug, wording="x"
    )
    assert rec.natural_key() == ("pdn", "label", "", "pregabalin")
    assert m.Recommendation.objects.get_by_natural_key("pdn", "label", "", "pregabalin") == rec


@pytest.mark.django_db
def test_changes_are_recorded_in_history():
    drug = make_drug()
    drug.generic_name = "Renamed"
    drug.save()
    assert drug.history.count() == 2
    assert drug.history.first().generic_name == "Renamed"


@pytest.mark.django_db
def test_published_queryset():
    make_condition("a")
    make_condition("b", status=m.ReviewStatus.DRAFT)
    assert list(m.Condition.objects.published().values_list("slug", flat=True)) == ["a"]


@pytest.mark.parametrize(
    ("crcl_min", "crcl_max", "label"),
    [(60, None, "CrCl ≥ 60 mL/min"), (0, 15, "CrCl < 15 mL/min"), (15, 30, "CrCl 15–29 mL/min")],
)
def test_band_label(crcl_min, crcl_max, label):
    assert m.RenalDoseBand(crcl_min=crcl_min, crcl_max=crcl_max).band_label == label
