"""A conversation per reservation between its customer and the clinic's staff (issue 16): its
writes (``services``), reads (``selectors``), notifications (``notices``) and the typing relay's
participants. Delivered on the ``chat`` channel of ``petland.publications``."""
