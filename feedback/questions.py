"""The four relationship questions, worded once (our own wording on the bond /
goals / approach / overall constructs), with the short names charts and alerts use."""

RATINGS = ("bond", "goals", "approach", "overall")

QUESTIONS = {
    "bond": "I felt heard, respected and safe to be honest",
    "goals": "We worked on what I wanted to work on",
    "approach": "The way we work fits me, and we decide things together",
    "overall": "Overall, this session was right for me",
}

SHORT_LABELS = {
    "bond": "Feeling heard and respected",
    "goals": "Working on what matters",
    "approach": "The way we work",
    "overall": "Overall",
}
