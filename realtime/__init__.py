"""A reusable real-time layer for Django: model changes become events in a log, published
after commit, and fanned out by one subscription per server process to the WebSocket
clients allowed to see them. The project declares what publishes where in one table
(``settings.REALTIME["PUBLICATIONS"]``); this app knows nothing else about its models."""
