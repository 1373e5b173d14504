"""A form renderer that writes Django's plainest widgets (select, option, input, checkbox and radio options)
in Python, with the very markup of Django's own templates for them, and leaves every other template to Django.

The explorer's form has some forty inputs and options; rendered through Django's widget templates (an include
per option and per attribute list) they cost about a fifth of the condition page. ``tests/test_widgets.py``
renders every widget of the app's forms both ways and requires the same markup. Settings: ``FORM_RENDERER``."""

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape, format_html

WIDGETS = "django/forms/widgets/"


def _s(value):
    """``{{ value|stringformat:'s' }}``: formatted to a plain string (a safe string is escaped too), escaped."""
    return conditional_escape("{}".format(value))  # noqa: UP032 - str() would keep a SafeString unescaped


def _attrs(attrs):
    """django/forms/widgets/attrs.html: ` name="value"` each, a bare name for True, nothing for False."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {conditional_escape(name)}")
        else:
            parts.append(f' {conditional_escape(name)}="{_s(value)}"')
    return "".join(parts)


def _input(widget):
    """django/forms/widgets/input.html."""
    value = "" if widget["value"] is None else f' value="{_s(widget["value"])}"'
    kind, name = conditional_escape(widget["type"]), conditional_escape(widget["name"])
    return f'<input type="{kind}" name="{name}"{value}{_attrs(widget["attrs"])}>'


def _input_option(widget):
    """django/forms/widgets/input_option.html (checkbox_option.html and radio_option.html include it)."""
    if not widget.get("wrap_label"):
        return _input(widget)
    label_for = format_html(' for="{}"', widget["attrs"]["id"]) if widget["attrs"].get("id") else ""
    # The included input.html ends with a newline, which stays inside the label.
    return f"<label{label_for}>{_input(widget)}\n {conditional_escape(widget['label'])}</label>"


def _select_option(widget):
    """django/forms/widgets/select_option.html."""
    label = conditional_escape(widget["label"])
    return f'<option value="{_s(widget["value"])}"{_attrs(widget["attrs"])}>{label}</option>'


OPTION = WIDGETS + "select_option.html"
OPTIONS = {
    OPTION: _select_option,
    WIDGETS + "checkbox_option.html": _input_option,
    WIDGETS + "radio_option.html": _input_option,
    WIDGETS + "input_option.html": _input_option,
}


def _select(widget):
    """django/forms/widgets/select.html with select_option.html options. Each included option ends with the
    newline its template file ends with; the renderer strips the whole (``BaseRenderer.render``)."""
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in group_choices:
            parts.append("\n  " + _select_option(option) + "\n")
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts).strip()


def _select_if_known(widget):
    if all(o["template_name"] == OPTION for _name, choices, _i in widget["optgroups"] for o in choices):
        return _select(widget)
    return None


FAST = {
    WIDGETS + "select.html": _select_if_known,
    **OPTIONS,
    **{WIDGETS + f"{kind}.html": _input for kind in ("text", "number", "email", "hidden", "password", "url")},
}


class FastWidgetRenderer(DjangoTemplates):
    """Django's template renderer, with the widgets in ``FAST`` written directly."""

    def render(self, template_name, context, request=None):
        fast = FAST.get(template_name)
        if fast is not None and "widget" in context:
            html = fast(context["widget"])
            if html is not None:
                return html
        return super().render(template_name, context, request)
