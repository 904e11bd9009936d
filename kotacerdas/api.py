"""The /api/v1/ root: mounts each app's router. OpenAPI at /api/v1/docs."""

from __future__ import annotations

from ninja import NinjaAPI

from kotacerdas.accounts.api import router as accounts_router
from kotacerdas.accounts.api_auth import API_AUTH
from kotacerdas.core.api import router as core_router
from kotacerdas.core.api_support import install_error_handlers
from kotacerdas.council.api import router as council_router
from kotacerdas.emergency.api import router as emergency_router
from kotacerdas.facilities.api import router as facilities_router
from kotacerdas.hotspots.api import router as fires_router
from kotacerdas.regions.api import router as regions_router
from kotacerdas.reports.api import router as reports_router

api = NinjaAPI(
    title="Kota Cerdas API",
    version="1",
    description=(
        "The API of Kota Cerdas, the Smart City platform of Kabupaten Kotawaringin Timur. "
        'Errors always look like {"error": {"code", "message", "fields"}}. '
        "Authenticate with the session cookie (pages) or `Authorization: Bearer <token>` "
        "(personal access tokens from the back office)."
    ),
    urls_namespace="api-v1",
    docs_url="/docs",
)
install_error_handlers(api)
api.add_router("/regions", regions_router, tags=["regions"])
api.add_router("/facilities", facilities_router, tags=["facilities"])
api.add_router("/accounts", accounts_router, tags=["accounts"])
api.add_router("/council", council_router, tags=["council"])
api.add_router("/reports", reports_router, tags=["reports"])
api.add_router("/emergency", emergency_router, tags=["emergency"])
api.add_router("/fires", fires_router, tags=["fires"])
api.add_router("", core_router, tags=["core"], auth=API_AUTH)
