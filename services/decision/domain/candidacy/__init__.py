"""The candidacy projection: every round's interview verdict combined into a candidacy verdict (pure).

``policy`` is the versioned combination policy (``candidacy-v1``, docs/design.md section 3b);
``revisions`` folds round verdict revisions into a candidacy's state and emits its revisions.
"""
