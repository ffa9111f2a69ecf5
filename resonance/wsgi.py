import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "resonance.settings")
application = get_wsgi_application()

from resonance.startup import (  # noqa: E402 (needs settings)
    load_every_view,
    require_collected_static,
    require_lawful_stored_data,
)

require_collected_static()
require_lawful_stored_data()
load_every_view()
