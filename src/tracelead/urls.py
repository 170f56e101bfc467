from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from tracelead.accounts import sso
from tracelead.accounts import views as accounts
from tracelead.api.routes import api
from tracelead.diagnostics import open_link_sso
from tracelead.diagnostics import respondent_views as respondent
from tracelead.diagnostics import views as diagnostics
from tracelead.messaging import jobs
from tracelead.messaging import views as messaging
from tracelead.organisations import views as organisations
from tracelead.publishing import views as publishing

urlpatterns = [
    path("", organisations.home, name="home"),
    path("accounts/login/", accounts.SignInView.as_view(), name="login"),
    path("accounts/verify/", accounts.verify, name="verify"),
    path("accounts/two-factor/", accounts.two_factor, name="two_factor"),
    path("accounts/tokens/", accounts.api_tokens, name="api_tokens"),
    path("accounts/logout/", accounts.SignOutView.as_view(), name="logout"),
    path("sso/<slug:slug>/start/", sso.sso_start, name="sso_start"),
    path("sso/<slug:slug>/callback/", sso.sso_callback, name="sso_callback"),
    path("systems/", organisations.system_list, name="systems"),
    path("systems/new/", organisations.system_create, name="system_create"),
    path("systems/<int:pk>/", organisations.system_detail, name="system"),
    path("systems/<int:pk>/settings/", organisations.system_settings, name="system_settings"),
    path("systems/<int:pk>/logo/", organisations.system_logo, name="system_logo"),
    path(
        "systems/<int:pk>/organisations/new/",
        organisations.organisation_create,
        name="organisation_create",
    ),
    path("systems/<int:pk>/groups/new/", organisations.group_create, name="group_create"),
    path("systems/<int:pk>/import/", organisations.structure_import_page, name="structure_import"),
    path("assessments/", diagnostics.assessment_list, name="assessments"),
    path("assessments/new/", diagnostics.assessment_create, name="assessment_create"),
    path("assessments/<int:pk>/", diagnostics.assessment_detail, name="assessment"),
    path("assessments/<int:pk>/edit/", diagnostics.assessment_edit, name="assessment_edit"),
    path("assessments/<int:pk>/publish/", diagnostics.assessment_publish,
         name="assessment_publish"),
    path("assessments/<int:pk>/close/", diagnostics.assessment_close, name="assessment_close"),
    path("systems/<int:pk>/cycles/", publishing.cycle_list, name="cycles"),
    path("systems/<int:pk>/cycles/new/", publishing.cycle_create, name="cycle_create"),
    path("cycles/<int:pk>/edit/", publishing.cycle_edit, name="cycle_edit"),
    path(
        "assessments/<int:pk>/links/",
        diagnostics.assessment_invitations,
        name="assessment_invitations",
    ),
    path("assessments/<int:pk>/links.csv", diagnostics.invitations_csv, name="invitations_csv"),
    path(
        "assessments/<int:pk>/links/reissue/",
        diagnostics.invitation_reissue,
        name="invitation_reissue",
    ),
    path("assessments/<int:pk>/qr.svg", diagnostics.open_link_qr, name="open_link_qr"),
    path("assessments/<int:pk>/email/", messaging.round_email, name="round_email"),
    path("email/unsubscribe/<str:token>/", messaging.unsubscribe, name="unsubscribe"),
    path("jobs/<int:pk>/", jobs.job_page, name="job"),
    path("jobs/<int:pk>/download/", jobs.job_download, name="job_download"),
    # The English/Cymraeg switch on the pages offered in Welsh (core/language.py).
    path("language/", set_language, name="set_language"),
    path("r/done/", respondent.respond_thanks, name="respond_thanks"),
    path("r/<str:token>/", respondent.respond, name="respond"),
    path("r/<str:token>/start/", respondent.respond_intro_again, name="respond_intro_again"),
    path("r/<str:token>/resume/", respondent.respond_resume, name="respond_resume"),
    path("r/<str:token>/verify/", respondent.respond_verify, name="respond_verify"),
    path("r/<str:token>/sso/<slug:slug>/", open_link_sso.respond_with_provider,
         name="respond_provider"),
    path("r/<str:token>/another/", respondent.respond_another, name="respond_another"),
    path("r/<str:token>/privacy/", respondent.respond_privacy, name="respond_privacy"),
    path("r/<str:token>/<int:page>/", respondent.respond_page, name="respond_page"),
    path("reports/", include("tracelead.reports.urls")),
    path("", include("tracelead.academy.urls")),
    path("", include("tracelead.polls.urls")),
    path("", include("tracelead.network.urls")),
    path("", include("tracelead.evaluation.urls")),
    path("", include("tracelead.words.urls")),
    path("", include("tracelead.actions.urls")),
    path("", include("tracelead.strategy.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

handler404 = "tracelead.core.views.not_found"
handler500 = "tracelead.core.views.server_error"
handler403 = "tracelead.core.views.forbidden"
handler400 = "tracelead.core.views.bad_request"
