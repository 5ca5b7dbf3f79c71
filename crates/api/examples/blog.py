"""The seed blog's three requests against the tesim mock, unchanged apart from the base URL.

    python3 crates/api/examples/blog.py http://127.0.0.1:8080 [EMAIL] [API_TOKEN]

Needs `requests` (pip install requests). Prints the BGP link of the first test, then the
alerts of the last five days, pretty-printed as the blog does.
"""

import json
import sys

import requests

base = sys.argv[1].rstrip("/")
user = sys.argv[2] if len(sys.argv) > 2 else "tesim@example.com"
token = sys.argv[3] if len(sys.argv) > 3 else "tesim-token"

# "To test access to my account, I am going to pull back a list of tests."
r = requests.get(base + "/v6/tests.json", auth=(user, token))
r.raise_for_status()
j = r.json()
# "to return the API link for BGP test data you would access j['test'][0]['apiLinks'][4]['href']"
print(j["test"][0]["apiLinks"][4]["href"])

# "I will append ?window=5d in order to return active alerts"
r = requests.get(base + "/v6/alerts.json?window=5d", auth=(user, token))
r.raise_for_status()
print(json.dumps(r.json(), indent=4, sort_keys=True))
