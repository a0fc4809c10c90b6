import wsgi_phases

phases = wsgi_phases.Phases()
raise RuntimeError("this phase script is broken on purpose")
