"""``{% kb_fragment "name" key … %}…{% end_kb_fragment %}``: a part of a page that depends only on the
knowledge base and the keys given, rendered once per process and knowledge-base version and reused.

The condition page shows the same guideline tables, procedures and work-up to every patient; only the
verdicts, doses and interactions are this patient's. Rendering those shared parts again for every new patient
is most of a page's cost. The keys must name everything the enclosed markup reads besides the knowledge base
(e.g. the condition, the option and the guideline filter): ``tests/test_fragments.py`` renders pages for many
patients with and without the fragments and requires the same bytes. The language is always part of the key.
Nothing patient-specific may go inside one (the README's Privacy section): keys are knowledge-base slugs.

Without a knowledge-base version on the request (``cache.request_version``), or with
``settings.KB_FRAGMENTS`` off, the markup is rendered every time."""

from django import template
from django.conf import settings
from django.utils.translation import get_language

from treatments import cache

register = template.Library()


class FragmentNode(template.Node):
    def __init__(self, nodelist, name, keys):
        self.nodelist = nodelist
        self.name = name
        self.keys = keys

    def render(self, context):
        request = context.get("request")
        kb_version = getattr(request, "knowledge_base_version", None)
        if kb_version is None or not settings.KB_FRAGMENTS:
            return self.nodelist.render(context)
        key = (self.name, get_language(), *(str(k.resolve(context)) for k in self.keys))
        return cache.fragments.get(kb_version, key, lambda: self.nodelist.render(context))


@register.tag("kb_fragment")
def kb_fragment(parser, token):
    bits = token.split_contents()
    if len(bits) < 3:
        raise template.TemplateSyntaxError("kb_fragment needs a quoted name and at least one key")
    name = bits[1].strip("\"'")
    nodelist = parser.parse(("end_kb_fragment",))
    parser.delete_first_token()
    return FragmentNode(nodelist, name, [parser.compile_filter(bit) for bit in bits[2:]])
