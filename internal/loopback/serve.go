package loopback

import "net"

// Serve accepts on ln until it is closed, handling each connection in its
// own goroutine and closing the connection when handle returns.
func Serve(ln net.Listener, handle func(net.Conn)) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			handle(c)
		}()
	}
}
