package installer

// Notifier is a resource that notifies handlers when it changes.
type Notifier interface {
	Notifies() []Handler
}

// Handler is an action owed after a change, such as a service restart. Handlers
// are identified by Name and run once per group however often notified.
type Handler struct {
	Name string
	// Cmds run in order as root; the first that fails fails the handler.
	Cmds [][]string
}

// Restart returns the usual handler for a systemd unit.
func Restart(unit string) Handler {
	return Handler{Name: "restart " + unit, Cmds: [][]string{{"systemctl", "restart", unit}}}
}

// Reload returns a reload handler for a systemd unit.
func Reload(unit string) Handler {
	return Handler{Name: "reload " + unit, Cmds: [][]string{{"systemctl", "reload", unit}}}
}

// Notify is embedded by resources to carry their handlers.
type Notify struct {
	Handlers []Handler
}

// Notifies implements Notifier.
func (n Notify) Notifies() []Handler { return n.Handlers }
