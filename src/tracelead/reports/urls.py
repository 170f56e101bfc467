from django.urls import path

from . import views

urlpatterns = [
    path("assessments/<int:pk>/", views.group_report_page, name="report_group"),
    path("assessments/<int:pk>/report.<str:fmt>", views.group_report_export,
         name="report_group_export"),
    path("systems/<int:pk>/", views.many_groups_page, name="report_system"),
    path("systems/<int:pk>/report.<str:fmt>", views.many_groups_export,
         name="report_system_export"),
]
