"""What every entry point shares when it turns a message into a new report."""


def first_words(text, limit=60):
    """A title from the start of a text: whole words, at most `limit` characters."""
    words = " ".join((text or "").split())
    if len(words) <= limit:
        return words
    # One character past the limit: a cut that lands on a space keeps the word before it.
    return words[: limit + 1].rsplit(" ", 1)[0].rstrip(" ,.;:")
