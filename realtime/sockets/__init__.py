"""The socket side: the consumer, what clients may send, authentication, origin check, tickets, routing."""
