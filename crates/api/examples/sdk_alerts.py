"""The official ThousandEyes Python SDK (`thousandeyes-sdk-alerts`) against the tesim mock:
list alerts by date range, then read each one by id.

    python3 crates/api/examples/sdk_alerts.py http://127.0.0.1:8080 [API_TOKEN]

Needs `pip install thousandeyes-sdk-alerts`. The SDK sends `startDate`/`endDate` as
`2024-05-01T00:00:00.000000+0000`, so this exercises the date forms the mock must accept.
Prints one line per alert, `<id> <alertType> <startDate>`, and exits non-zero on any error.
"""

import sys
from datetime import datetime, timezone

import thousandeyes_sdk.core
from thousandeyes_sdk.alerts import AlertsApi

base = sys.argv[1].rstrip("/")
token = sys.argv[2] if len(sys.argv) > 2 else "tesim-token"

configuration = thousandeyes_sdk.core.Configuration(host=base + "/v7", access_token=token)
client = thousandeyes_sdk.core.ApiClient(configuration)
api = AlertsApi(client)
# The SDK's name for the list call changed between releases.
list_alerts = getattr(api, "list_alerts", None) or api.get_alerts

alerts = list_alerts(
    start_date=datetime(2000, 1, 1, tzinfo=timezone.utc),
    end_date=datetime(2099, 1, 1, tzinfo=timezone.utc),
)
if not alerts.alerts:
    sys.exit("the date-range listing returned no alerts")
for alert in alerts.alerts:
    detail = api.get_alert(alert.id)
    if detail.id != alert.id:
        sys.exit(f"get_alert({alert.id}) answered {detail.id}")
    print(alert.id, alert.alert_type.value, alert.start_date.isoformat())
