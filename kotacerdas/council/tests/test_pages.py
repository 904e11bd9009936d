from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from pytest_django.asserts import assertContains, assertInHTML, assertNotContains

from kotacerdas.accounts.tests.factories import ALL_ROLES
from kotacerdas.core import indicators

from .conftest import ALLOWED_DASHBOARD

pytestmark = pytest.mark.django_db


def _charts(html: str) -> list[dict]:
    from html import unescape

    return [json.loads(unescape(m)) for m in re.findall(r'data-chart="([^"]*)"', html)]


# --- /dewan/: who may open it ----------------------------------------------------------------
@pytest.mark.parametrize("role", ALL_ROLES)
def test_dashboard_role_matrix(role, client_for, make_program, test_indicators):
    make_program("a")
    response = client_for(role).get("/dewan/")
    if role in ALLOWED_DASHBOARD:
        assert response.status_code == 200
        assertContains(response, "<h1>Council dashboard</h1>", html=True)
    else:
        assert response.status_code == 403
        assertContains(response, "You are not allowed to open this page.", status_code=403)
        assertNotContains(response, "Program a", status_code=403)


def test_dashboard_anonymous_goes_to_sign_in():
    response = Client().get("/dewan/?year=2026")
    assert response.status_code == 302
    assert response["Location"] == "/akun/masuk/?next=/dewan/%3Fyear%3D2026"


def test_dashboard_refuses_unverified_staff_session(unverified_admin_client, citizen_client):
    assert unverified_admin_client.get("/dewan/").status_code == 403
    assert citizen_client.get("/dewan/").status_code == 403


# --- /dewan/: what it shows -------------------------------------------------------------------
def test_dashboard_programs_grouped_by_dimension(
    client_for, make_program, this_year, test_indicators
):
    make_program(
        "ambulans", name="Ambulans Gratis", year=this_year, target="1200", realisation="900.5",
        is_quick_win=True, is_demo=True,
    )  # fmt: skip
    make_program("izin", name="Perizinan", dimension="economy", status="at_risk")
    make_program("sampah", name="Sampah", dimension="environment", year=this_year - 1)

    response = client_for("dewan").get("/dewan/")

    html = response.content.decode()
    headings = re.findall(r'<h2 id="programs-(?!title)(\w+)">([^<]+)</h2>', html)
    assert headings == [
        ("economy", "Smart Economy"),
        ("living", "Smart Living"),
        ("environment", "Smart Environment"),
    ]
    assertInHTML(
        """<tr id="program-ambulans">
          <th scope="row">Ambulans Gratis <span class="tag tag-ok">Quick win</span>
            <span class="tag tag-muted" title="The figures are invented for a demonstration.">Demo</span></th>
          <td>Dinkes</td>
          <td><span class="tag tag-info">Running</span></td>
          <td>Trips served <small>(trips)</small></td>
          <td class="num">1,200</td>
          <td class="num">900.5</td>
          <td><progress max="100" value="75.0" aria-label="Progress of Ambulans Gratis">75%</progress>
            <span class="progress-value">75%</span></td>
        </tr>""",
        html,
    )
    assertInHTML(
        f"""<tr id="program-izin"><th scope="row">Perizinan</th><td>Dinkes</td>
          <td><span class="tag tag-warn">At risk</span></td>
          <td colspan="4">No target set for {this_year}.</td></tr>""",
        html,
    )
    assertContains(response, f'<th scope="col" class="num">Target {this_year}</th>', count=3)


def test_dashboard_shows_every_registered_indicator(client_for, test_indicators):
    response = client_for("kepala_opd").get("/dewan/")

    html = response.content.decode()
    titles = re.findall(r'<h3 id="indicator-[\w-]+-title">([^<]+)</h3>', html)
    # Sorted by dimension then key, staff-only ones included.
    assert titles == ["Broken feed", "Internal queue length", "Median ambulance response"]
    assert _charts(html) == [
        {
            "type": "bar",
            "labels": ["Internal"],
            "series": [{"label": "Internal queue length", "values": [3]}],
            "unit": "items",
        },
        {
            "type": "bar",
            "labels": ["Baamang", "=Seranau"],
            "series": [{"label": "Median ambulance response", "values": [14.5, 9]}],
            "unit": "min",
        },
    ]
    assertInHTML(
        '<dl class="stat"><dt>Total</dt><dd>12.2 <small class="stat-unit">min</small></dd></dl>',
        html,
    )
    assertInHTML('<p class="stat-note">Last 30 days</p>', html)
    assertInHTML('<tr><th scope="row">Baamang</th><td class="num">14.5</td></tr>', html)
    assertInHTML(
        '<p class="form-errors" role="status">This indicator could not be computed right now.</p>',
        html,
    )
    assertContains(response, '<script src="/static/dist/charts.', count=1)


def test_dashboard_renders_the_real_registry(client_for):
    response = client_for("admin").get("/dewan/")
    for ind in indicators.registered():
        assertContains(response, f'<h3 id="indicator-{_slug(ind.key)}-title">{ind.title}</h3>')
    assert indicators.get("council.program_realisation") is not None


def _slug(key: str) -> str:
    from django.utils.text import slugify

    return slugify(key)


def test_dashboard_filters(client_for, make_program, this_year, test_indicators):
    make_program(
        "a", name="Alpha", dimension="living", year=this_year - 1, target="10", realisation="10"
    )
    make_program("b", name="Beta", dimension="economy", year=this_year - 1)

    response = client_for("dewan").get(f"/dewan/?dimension=living&year={this_year - 1}")

    html = response.content.decode()
    assert re.findall(r'<tr id="program-(\w+)">', html) == ["a"]
    assertContains(response, f'<th scope="col" class="num">Target {this_year - 1}</th>', count=1)
    assertInHTML('<td class="num">10</td>', html)
    # Indicators follow the dimension filter too.
    assert re.findall(r'<h3 id="indicator-[\w-]+-title">([^<]+)</h3>', html) == [
        "Median ambulance response"
    ]


def test_dashboard_bad_filters_are_ignored_not_an_error(
    client_for, make_program, this_year, test_indicators
):
    make_program("a", year=this_year)

    response = client_for("dewan").get("/dewan/?dimension=moon&year=abc")

    assert response.status_code == 200
    assertContains(response, "Some filters were not valid and were ignored.")
    assertContains(response, "Select a valid choice. moon is not one of the available choices.")
    assertContains(response, f'<th scope="col" class="num">Target {this_year}</th>')
    assertContains(response, '<tr id="program-a">')
    assert client_for("dewan").get("/dewan/?year=99999").status_code == 200


def test_dashboard_query_count_does_not_grow(
    client_for, make_program, this_year, test_indicators, django_assert_num_queries
):
    client = client_for("dewan")
    make_program("p0", year=this_year)
    # session, user, memberships, OTP device, unread notifications, programs, targets
    with django_assert_num_queries(7):
        assert client.get("/dewan/").status_code == 200
    for i in range(1, 21):
        make_program(f"p{i}", dimension=["living", "economy", "society"][i % 3], year=this_year)
    with django_assert_num_queries(7):
        response = client.get("/dewan/")
    assert len(re.findall(r'<tr id="program-', response.content.decode())) == 21


# --- /data/ -----------------------------------------------------------------------------------
def test_open_data_is_public_and_shows_only_public_indicators(
    make_program, this_year, test_indicators
):
    make_program(
        "ambulans", name="Ambulans Gratis", year=this_year, target="1200", realisation="600"
    )

    response = Client().get("/data/")

    assert response.status_code == 200
    html = response.content.decode()
    assert re.findall(r'<h3 id="indicator-[\w-]+-title">([^<]+)</h3>', html) == [
        "Broken feed",
        "Median ambulance response",
    ]
    assertNotContains(response, "Internal queue length")
    assertInHTML('<td class="num">600</td>', html)
    assertInHTML('<a href="/data/program.csv" download>Programs and yearly targets (CSV)</a>', html)
    assertInHTML('<a href="/data/indikator.csv" download>Indicators (CSV)</a>', html)
    assertInHTML('<a href="/data/indikator.json">Indicators (JSON)</a>', html)


def test_open_data_query_count_does_not_grow(
    make_program, this_year, test_indicators, django_assert_num_queries
):
    client = Client()
    make_program("p0", year=this_year)
    with django_assert_num_queries(2):
        assert client.get("/data/").status_code == 200
    for i in range(1, 21):
        make_program(f"p{i}", year=this_year)
    with django_assert_num_queries(2):
        assert client.get("/data/").status_code == 200


def test_indicator_csv_export(test_indicators):
    response = Client().get("/data/indikator.csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="indikator.csv"'
    assert response.content.decode() == (
        "indicator,dimension,title,unit,label,code,value\n"
        "test.ambulance_response,living,Median ambulance response,min,Baamang,62.02.06,14.5\n"
        "test.ambulance_response,living,Median ambulance response,min,'=Seranau,62.02.07,9\n"
    )


def test_indicator_json_export(test_indicators):
    response = Client().get("/data/indikator.json")

    assert response.status_code == 200
    body = response.json()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+Z", body.pop("generated_at"))
    assert body == {
        "indicators": [
            {
                "key": "test.broken",
                "dimension": "environment",
                "title": "Broken feed",
                "description": "Fails to compute.",
                "unit": "pts",
                "total": None,
                "rows": [],
            },
            {
                "key": "test.ambulance_response",
                "dimension": "living",
                "title": "Median ambulance response",
                "description": "Minutes from call to arrival.",
                "unit": "min",
                "total": 12.2,
                "rows": [
                    {"label": "Baamang", "code": "62.02.06", "value": 14.5},
                    {"label": "=Seranau", "code": "62.02.07", "value": 9},
                ],
            },
        ]
    }


def test_program_csv_export(make_program, this_year, django_assert_num_queries):
    make_program(
        "ambulans",
        name="Ambulans, Gratis",
        year=this_year,
        target="1200",
        realisation="900.5",
        is_demo=True,
    )
    make_program("izin", name="Perizinan", dimension="economy", year=this_year, realisation=None)
    make_program("kosong", name="Kosong", dimension="economy")

    with django_assert_num_queries(2):
        response = Client().get("/data/program.csv")

    assert response["Content-Disposition"] == 'attachment; filename="program.csv"'
    assert response.content.decode() == (
        "code,name,dimension,owner_agency,owner_agency_name,status,quick_win,demo,year,measure,"
        "unit,target,realisation,percent\n"
        "kosong,Kosong,economy,dinkes,Dinas Kesehatan,running,0,0,,,,,,\n"
        f"izin,Perizinan,economy,dinkes,Dinas Kesehatan,running,0,0,{this_year},Trips served,"
        "trips,100.00,,\n"
        f'ambulans,"Ambulans, Gratis",living,dinkes,Dinas Kesehatan,running,0,1,{this_year},'
        "Trips served,trips,1200.00,900.50,75.0\n"
    )
