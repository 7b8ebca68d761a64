"""chatapp: a real-time chat web application written entirely in Python."""
