from wsgi_phases import Phases

phases = Phases()


@phases.fixup
def mark(request):
    request.headers_out["X-Fixup"] = request.options.get("mark", "yes")
