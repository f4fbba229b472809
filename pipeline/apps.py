from django.apps import AppConfig


class PipelineConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pipeline"

    def ready(self):
        from accounts.registry import on_profile_changed
        from applications.registry import (
            on_application_match,
            on_board_scores,
            on_candidate_matches,
        )
        from pipeline.privacy import privacy_register
        from pipeline.selectors import (
            candidate_jobs_for_you,
            match_of_application,
            match_scores_of_candidates,
        )
        from pipeline.tasks import profile_refresh_queue

        on_board_scores(match_scores_of_candidates)
        on_application_match(match_of_application)
        on_candidate_matches(candidate_jobs_for_you)
        on_profile_changed(profile_refresh_queue)
        privacy_register()
