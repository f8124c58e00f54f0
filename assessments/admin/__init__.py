"""The recruiters' back office, in the Django admin.

Superusers see everything. Every other staff user in the recruiters group sees only the tests they
created and the rows that hang off those tests (`scoping`); related-object choices and every custom
page are narrowed the same way. The attempt record (responses, chat, events, integrity signals) is
read-only here: it is written by the assessment services only.

- `blueprints`: tests with skills and bank inline; duplicate, publish, archive; invitations.
- `questions`: the bank and generated items (review, deactivate, promote); regrade and its audit.
- `candidates`: applications: shortlist, reject, accommodation.
- `attempts`: the results table, CSV exports, the report of an attempt, reset.
- `monitor`: the live monitor of a test and its actions (extend, terminate, announce).
- `reports`: exports, analytics (SVG charts, item analysis) and the attempt report.

Candidate-supplied text is never marked safe: templates' auto-escaping and `format_html` render it.
"""

from django.contrib import admin

from assessments.admin import attempts, blueprints, candidates, questions

__all__ = ["attempts", "blueprints", "candidates", "questions"]

admin.site.site_header = "Jatayu administration"
# The results and reports need the width more than a second list of the models beside them.
admin.site.enable_nav_sidebar = False
admin.site.site_title = "Jatayu admin"
admin.site.index_title = "Tests, candidates and attempts"
