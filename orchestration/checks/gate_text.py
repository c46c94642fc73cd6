"""What a check's description says about the gate, in one wording everywhere: a stakeholder reading
a check in the Dagster UI learns whether its failure stops publication."""

BLOCKS = "Blocking: when it fails, the assets downstream are not built and nothing is published."
WARNS = "Warning only: a failure is reported and blocks nothing."


def with_gate(description: str, blocking: bool) -> str:
    """`description` followed by the gate sentence for `blocking`."""
    text = description.strip()
    if text and not text.endswith((".", "!", "?")):
        text += "."
    return f"{text} {BLOCKS if blocking else WARNS}".strip()
