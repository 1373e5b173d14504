"""The fast form renderer (treatments/widgets.py) writes exactly what Django's own widget templates write."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from treatments import cache
from treatments import forms as app_forms
from treatments.widgets import FAST, FastWidgetRenderer

pytestmark = pytest.mark.django_db

django_renderer = DjangoTemplates()
fast_renderer = FastWidgetRenderer()


def both(widget, name, value, attrs=None):
    return (
        widget.render(name, value, attrs, renderer=django_renderer),
        widget.render(name, value, attrs, renderer=fast_renderer),
    )


HOSTILE = '<b>"Tom & Jerry\'s"</b>'


class Sample(forms.Form):
    choice = forms.ChoiceField(choices=[("", "---------"), ("a", "A & B"), (HOSTILE, HOSTILE), (3, "three")])
    grouped = forms.ChoiceField(choices=[("Group <1>", [("x", "X"), ("y", "Y")]), ("z", "Z")])
    many = forms.MultipleChoiceField(choices=[("a", "A"), ("b", HOSTILE)], widget=forms.CheckboxSelectMultiple)
    radio = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)
    text = forms.CharField(widget=forms.TextInput(attrs={"data-x": HOSTILE, "required": True, "disabled": False}))
    number = forms.IntegerField()
    hidden = forms.CharField(widget=forms.HiddenInput)
    multi_select = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")])


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"choice": "a", "grouped": "y", "many": ["a", "b"], "radio": "b", "text": HOSTILE, "number": "7"},
        {"choice": HOSTILE, "many": ["b"], "hidden": HOSTILE, "multi_select": ["a", "b"], "number": "x"},
    ],
)
def test_every_kind_of_widget_is_written_as_django_writes_it(data):
    form = Sample(data or None)
    for field in form:
        django_html = field.as_widget()
        field.form.renderer = fast_renderer
        assert field.as_widget() == django_html, field.name
        field.form.renderer = django_renderer
        for i, sub in enumerate(field.subwidgets):
            assert sub.tag() == sub.tag(), field.name
            django_tag = str(sub.parent_widget._render(sub.template_name, {"widget": sub.data}, django_renderer))
            fast_tag = str(sub.parent_widget._render(sub.template_name, {"widget": sub.data}, fast_renderer))
            assert fast_tag == django_tag, (field.name, i)
    assert (
        both(forms.Select(choices=[("a", HOSTILE)]), "s", "a", {"id": "x"})[0]
        == both(forms.Select(choices=[("a", HOSTILE)]), "s", "a", {"id": "x"})[1]
    )


def test_the_explorer_and_plan_forms_render_alike_with_both_renderers(real_kb):
    kb_version = cache.version()
    factors = cache.patient_factors(kb_version)
    data = {"age": "80", "sex": "female", "factors": ["depression"], "hla_b1502": "negative", "min_strength": "strong"}
    for form_class in (app_forms.ExplorerForm, app_forms.PlanForm):
        kwargs = {"drug_lookup": lambda names: cache.drugs(names, kb_version), "factors": factors}
        kwargs["vocabulary"] = lambda: cache.vocabulary(kb_version)
        if form_class is app_forms.ExplorerForm:
            kwargs.update(classes=[("snris", "SNRIs")], guidelines=[("nice-cg173", "NICE CG173")])
        else:
            kwargs["procedure_lookup"] = lambda names: cache.procedures(names, kb_version)
        from django.http import QueryDict

        query = QueryDict(mutable=True)
        for key, value in data.items():
            query.setlist(key, value if isinstance(value, list) else [value])
        form = form_class(query, **kwargs)
        rendered = 0
        for field in form:
            field.form.renderer = django_renderer
            expected = field.as_widget()
            field.form.renderer = fast_renderer
            assert field.as_widget() == expected, (form_class.__name__, field.name)
            rendered += 1
        assert rendered > 10


def test_only_known_templates_take_the_fast_path():
    assert set(FAST) <= {
        f"django/forms/widgets/{name}.html"
        for name in (
            "select",
            "select_option",
            "checkbox_option",
            "radio_option",
            "input_option",
            "text",
            "number",
            "email",
            "hidden",
            "password",
            "url",
        )
    }
