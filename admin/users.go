package admin

import (
	"net/http"

	"github.com/jitgate/jitgate/grants"
)

// addUser answers POST /v1/users (admin) with the new user and their
// one-time enrolment token.
func (s *server) addUser(w http.ResponseWriter, r *http.Request, admin grants.User) error {
	var b addUserBody
	if err := decode(w, r, &b); err != nil {
		return err
	}

	token, err := s.svc.AddUser(r.Context(), admin.Name, b.Name, b.Roles,
		b.Groups...)
	if err != nil {
		return err
	}
	added, err := s.svc.User(r.Context(), b.Name)
	if err != nil {
		return err
	}
	out := newUserBody{User: userView(added), Token: token}
	return writeJSON(w, http.StatusCreated, out)
}

// listUsers answers GET /v1/users (admin).
func (s *server) listUsers(w http.ResponseWriter, r *http.Request, _ grants.User) error {
	users, err := s.svc.Users(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, views(users, userView))
}

// updateUser answers PATCH /v1/users/{name} (admin): the roles and groups
// present in the body replace the user's.
func (s *server) updateUser(w http.ResponseWriter, r *http.Request,
	admin grants.User) error {
	var b updateUserBody
	if err := decode(w, r, &b); err != nil {
		return err
	}

	var change grants.UserChange
	if b.Roles != nil {
		change.Roles = nonNil(*b.Roles)
	}
	if b.Groups != nil {
		change.Groups = nonNil(*b.Groups)
	}
	u, err := s.svc.UpdateUser(r.Context(), admin.Name, r.PathValue("name"), change)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, userView(u))
}

// disableUser answers POST /v1/users/{name}/disable (admin). The user's
// pending requests and active grants end with it.
func (s *server) disableUser(w http.ResponseWriter, r *http.Request, admin grants.User) error {
	if err := decode(w, r, &emptyBody{}); err != nil {
		return err
	}

	u, err := s.svc.DisableUser(r.Context(), admin.Name, r.PathValue("name"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, userView(u))
}

// newToken answers POST /v1/users/{name}/token (admin) with a fresh
// enrolment token.
func (s *server) newToken(w http.ResponseWriter, r *http.Request, admin grants.User) error {
	if err := decode(w, r, &emptyBody{}); err != nil {
		return err
	}

	token, err := s.svc.NewToken(r.Context(), admin.Name, r.PathValue("name"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, tokenBody{Token: token})
}
