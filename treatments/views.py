from django.http import HttpResponse


def home(request):
    return HttpResponse("")


condition_detail = drug_detail = drug_class_detail = procedure_detail = diagnostic_detail = source_detail = home
