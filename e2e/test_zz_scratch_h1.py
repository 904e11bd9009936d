from typing import Any
import pytest
from django.conf import settings
from django.test import Client
from kotacerdas.accounts.tests.factories import otp_login
from kotacerdas.hotspots.models import FireEvent
from kotacerdas.hotspots.tests.conftest import agencies, bpbd_officer, desa_operator, kalimantan_2022, UJUNG_PANDARAN  # noqa
from .conftest import BROWSER, PHONE, DESKTOP

pytestmark = BROWSER

def signed(new_page, live_server, viewport, user):
    page = new_page(viewport)
    client = Client(); otp_login(client, user)
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url},
        {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "url": live_server.url}])
    return page

def overflow(page):
    return page.evaluate("""() => { const w = document.documentElement.clientWidth;
      if (document.documentElement.scrollWidth <= w) return [];
      return Array.from(document.querySelectorAll('body *')).filter(el => el.getBoundingClientRect().right > w + 1 && !el.closest('.table-scroll, .leaflet-container, .sidenav ul')).slice(0,5).map(el => el.tagName + '.' + el.className); }""")

@pytest.mark.parametrize("vp", [PHONE, DESKTOP])
def test_pages(transactional_db, kalimantan_2022, bpbd_officer, new_page, live_server, vp):
    page = signed(new_page, live_server, vp, bpbd_officer)
    page.goto("/kantor/karhutla/")
    page.wait_for_selector(".fires-map-status:has-text('hotspot')")
    page.wait_for_timeout(500)
    print(page.locator(".fires-map-status").inner_text(), overflow(page))
    page.screenshot(path=f"/tmp/h1/map-{vp['width']}.png", full_page=True)
    page.click("[data-window='0']")
    page.wait_for_selector(".fires-map-status:has-text('61 hotspot')")
    print(page.locator(".fires-map-status").inner_text(), page.input_value("#id_start"), page.input_value("#id_end"))
    n = page.evaluate("document.querySelectorAll('.leaflet-interactive').length")
    print("interactive", n)
    page.screenshot(path=f"/tmp/h1/map-all-{vp['width']}.png", full_page=False)
    # slider
    page.click("[data-window='30']")
    page.wait_for_timeout(800)
    print(page.locator(".fires-map-status").inner_text())
    page.locator(".fires-slider input").fill("100")
    page.wait_for_timeout(1000)
    print(page.locator(".fires-map-status").inner_text(), page.input_value("#id_start"), page.input_value("#id_end"))
    ref = FireEvent.objects.filter(desa_code=UJUNG_PANDARAN).order_by("-last_detected_at").first().ref
    page.goto(f"/kantor/karhutla/kejadian/{ref}/")
    page.wait_for_timeout(1500)
    print("event overflow", overflow(page))
    page.screenshot(path=f"/tmp/h1/event-{vp['width']}.png", full_page=True)
    page.goto("/kantor/karhutla/impor/")
    page.screenshot(path=f"/tmp/h1/imports-{vp['width']}.png", full_page=True)
    print("imports overflow", overflow(page))
    page.goto("/kantor/karhutla/kejadian/")
    print("events overflow", overflow(page))
    page.screenshot(path=f"/tmp/h1/events-{vp['width']}.png", full_page=True)
