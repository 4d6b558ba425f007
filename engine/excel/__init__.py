"""Excel fact-entry workbooks: written for a policy (``template``), read back as a fact document (``reader``).

``layout`` is the contract between the two (sheet names, column headers, the accepted spellings);
``cells`` turns one cell into a fact-file value exactly. The reader produces the same
:class:`engine.source.SourceDoc` that a YAML or JSON fact file gives, with every position a cell,
so fact validation runs unchanged. openpyxl is imported only when a workbook is read or written.
"""
