raise ImportError("raised-importerror-marker")
