from django.urls import path

from . import sharing_views, tracking_views, views

urlpatterns = [
    path("assessments/<int:pk>/actions/", views.plan_page, name="action_plan"),
    path("assessments/<int:pk>/actions/new/", views.action_create, name="action_create"),
    path("actions/<int:pk>/", views.action_edit, name="action_edit"),
    path("systems/<int:pk>/sharing/", sharing_views.sharing_page, name="sharing"),
    path("cycles/<int:pk>/responses/", tracking_views.tracking_page, name="response_tracking"),
    path("sharing/accept/<str:token>/", sharing_views.sharing_accept, name="sharing_accept"),
]
