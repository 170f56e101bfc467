from django.apps import AppConfig


class WordsConfig(AppConfig):
    name = "tracelead.words"
    label = "words"
    verbose_name = "Words: task convergence and themes"
