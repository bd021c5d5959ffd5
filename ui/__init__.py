"""The Gradio chat for staff: login, questions with cited passages, the document viewer, uploads and removal.

Role: a front-end. May import `qa`, `access` and `index`; nothing below imports it.
"""
