from django.apps import AppConfig


class PipelineConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pipeline"

    def ready(self):
        from applications.board import on_board_scores
        from pipeline.selectors import match_scores_of_candidates

        on_board_scores(match_scores_of_candidates)
