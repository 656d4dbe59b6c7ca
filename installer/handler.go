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
	// AfterRemoval: the handler is owed also when uninstall removes what
	// notifies it (a reload that drops a site, apt-get update after a
	// source went); a restart of what uninstall stops is not.
	AfterRemoval bool `json:",omitempty"`
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

// Removed are the handlers still owed when uninstall removes what notifies
// them (Handler.AfterRemoval).
func (n Notify) Removed() Notify {
	var out Notify
	for _, h := range n.Handlers {
		if h.AfterRemoval {
			out.Handlers = append(out.Handlers, h)
		}
	}
	return out
}
