"""The Gradio chat UI for staff (built in the UI issue)."""
