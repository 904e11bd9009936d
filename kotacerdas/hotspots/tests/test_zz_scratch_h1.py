import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from kotacerdas.hotspots.tests.test_views_kantor import up_event, BASE, english

pytestmark = pytest.mark.django_db

@pytest.fixture(autouse=True)
def _plain_static(settings):
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}

def test_q(kalimantan_2022, bpbd_officer, staff_client):
    c = english(staff_client(bpbd_officer))
    for url in [f"{BASE}/", f"{BASE}/kejadian/", f"{BASE}/kejadian/{up_event().ref}/", f"{BASE}/peta.json?start=2022-01-01&end=2022-02-01"]:
        with CaptureQueriesContext(connection) as ctx:
            c.get(url)
        print("=====", url, len(ctx.captured_queries))
        for q in ctx.captured_queries:
            print("  ", q["sql"][:230])
