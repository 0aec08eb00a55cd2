"""The public portal (issue 19): treaty participation, depositary notifications and joint
statements for anyone, without signing in. It reads only the treaty register and the
statements, never a request, a person or an audit entry."""
