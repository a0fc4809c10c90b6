from wsgi_phases import Phases

phases = Phases()


@phases.access
def lan_only(request):
    return 0 if request.client_ip.startswith(request.options.get("prefix", "10.")) else 403
