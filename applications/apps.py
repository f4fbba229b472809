from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "applications"

    def ready(self):
        from accounts.registry import on_company_created
        from applications.privacy import privacy_register
        from applications.services import stage_template_create

        on_company_created(stage_template_create)
        privacy_register()
