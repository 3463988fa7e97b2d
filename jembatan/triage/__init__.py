"""Triage: routing suggestions, duplicates, completeness, spam/abuse/SARA flags and personal data.

The public interface is `jembatan.triage.services` (read its docstring): suggest(),
should_auto_route(), find_duplicates(), completeness(), flags(), detect_personal_data() and
redact(). Everything else in this package is the machinery behind it:

- text.py        Indonesian preprocessing (markup, boilerplate, slang, masking, optional stemming)
- pii.py         personal-data spans and redaction
- learning.py    the model (TF-IDF words + characters, calibrated linear SVM) and its evaluation
- training.py    the instance's verified history as training data
- actions.py     train a version, activate one, prune old payloads
- duplicates.py  MinHash-LSH duplicate index and lookup
- quality.py     completeness and word-list flags
- tasks.py       the duplicate indexer (every minute) and the weekly retraining
"""
