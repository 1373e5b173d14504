import pytest
from django.contrib import admin
from django.urls import reverse

from tests.conftest import make_superuser
from treatments import models as m


@pytest.fixture
def superuser_client(client, db):
    client.force_login(make_superuser("root"))
    return client


def admin_url(model, action, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


CLINICAL_MODELS = [model for model in admin.site._registry if model._meta.app_label == "treatments"]


def test_every_clinical_model_is_registered():
    from django.apps import apps

    expected = {
        model
        for model in apps.get_app_config("treatments").get_models()
        if not model.__name__.startswith("Historical") and model is not m.KnowledgeBaseVersion  # cache bookkeeping
    }
    assert expected <= set(admin.site._registry)


@pytest.mark.parametrize("model", CLINICAL_MODELS, ids=lambda model: model.__name__)
def test_changelist_add_and_search_pages_respond(superuser_client, world, model):
    assert superuser_client.get(admin_url(model, "changelist")).status_code == 200
    assert superuser_client.get(admin_url(model, "changelist"), {"q": "pre"}).status_code == 200
    assert superuser_client.get(admin_url(model, "add")).status_code == 200
    obj = model.objects.first()
    if obj is not None:
        assert superuser_client.get(admin_url(model, "change", obj.pk)).status_code == 200
        assert superuser_client.get(admin_url(model, "history", obj.pk)).status_code == 200


def test_anonymous_users_are_sent_to_login(client, db):
    response = client.get(admin_url(m.Drug, "changelist"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_drug_changelist_query_count_is_constant(superuser_client, world, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        assert superuser_client.get(admin_url(m.Drug, "changelist")).status_code == 200
