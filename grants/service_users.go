package grants

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"
)

// userName is what a user name may look like: it ends up in certificate
// subjects, URLs and logs.
var userName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// knownRoles are the roles a user can be given.
var knownRoles = []Role{RoleRequester, RoleApprover, RoleAdmin}

// CheckUser returns an *InputError when name is not a valid user name or
// roles are not known roles, so that a caller can refuse before it does
// anything else.
func CheckUser(name string, roles []Role) error {
	if !userName.MatchString(name) {
		return &InputError{Field: "name", Problem: fmt.Sprintf(
			"%q must be 1 to 63 of a-z 0-9 . _ - and start with a letter or digit",
			name)}
	}

	if len(roles) == 0 {
		return &InputError{Field: "roles", Problem: "at least one role is needed"}
	}
	for _, r := range roles {
		if !slices.Contains(knownRoles, r) {
			return &InputError{Field: "roles", Problem: fmt.Sprintf(
				"unknown role %q (known: requester, approver, admin)", r)}
		}
	}
	return nil
}

// AddUser creates a user with roles and groups and returns a one-time
// enrolment token, valid for TokenLifetime. Only the token's hash is
// stored.
func (s *Service) AddUser(ctx context.Context, actor, name string, roles []Role,
	groups ...string) (string, error) {
	if err := CheckUser(name, roles); err != nil {
		return "", err
	}
	if err := checkGroups(groups); err != nil {
		return "", err
	}

	token := newToken()
	err := s.update(ctx, func(tx Tx, _ *effects) error {
		now := s.clock()
		u := User{Name: name, Roles: uniqueRoles(roles), Groups: uniqueGroups(groups),
			CreatedAt: now}
		if err := tx.InsertUser(u); err != nil {
			return err
		}
		expires := now.Add(TokenLifetime)
		if err := tx.InsertToken(hashToken(token), name, expires); err != nil {
			return err
		}
		return s.audit(tx, actor, "user.add", name, userDetail(u))
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// userDetail is the audit detail of a user's roles and groups.
func userDetail(u User) string {
	return "roles=" + joinRoles(u.Roles) + " groups=" + strings.Join(u.Groups, ",")
}

// checkGroups checks that each group is a valid name.
func checkGroups(groups []string) error {
	for _, g := range groups {
		if !userName.MatchString(g) {
			return &InputError{Field: "groups", Problem: fmt.Sprintf(
				"%q must be 1 to 63 of a-z 0-9 . _ - and start with a letter or digit",
				g)}
		}
	}
	return nil
}

// uniqueGroups returns groups sorted, each once; nil when there are none.
func uniqueGroups(groups []string) []string {
	if len(groups) == 0 {
		return nil
	}
	out := slices.Clone(groups)
	slices.Sort(out)
	return slices.Compact(out)
}

// UserChange is what UpdateUser changes; a nil field is left as it is.
type UserChange struct {
	Roles  []Role
	Groups []string
}

// UpdateUser changes a user's roles, groups or both. Policies see the
// change at the user's next request or decision; grants already active
// are not affected.
func (s *Service) UpdateUser(ctx context.Context, actor, name string,
	c UserChange) (User, error) {
	if err := checkChange(name, c); err != nil {
		return User{}, err
	}

	var u User
	err := s.update(ctx, func(tx Tx, _ *effects) error {
		var err error
		if u, err = tx.User(name); err != nil {
			return err
		}
		if c.Roles != nil {
			was := u
			u.Roles = uniqueRoles(c.Roles)
			if err := s.keepAnAdmin(tx, was, u); err != nil {
				return err
			}
		}
		if c.Groups != nil {
			u.Groups = uniqueGroups(c.Groups)
		}
		if err := tx.UpdateUser(u); err != nil {
			return err
		}
		return s.audit(tx, actor, "user.update", name, userDetail(u))
	})
	if err != nil {
		return User{}, err
	}
	return u, nil
}

// keepAnAdmin refuses, with ErrConflict, a change of a user from was to
// changed that would leave no admin who can act now. Nobody could then
// add users, change roles or revoke what others hold.
func (s *Service) keepAnAdmin(tx Tx, was, changed User) error {
	now := s.clock()
	if !s.canAdminister(was, now) || s.canAdminister(changed, now) {
		return nil
	}
	users, err := tx.Users()
	if err != nil {
		return err
	}
	for _, u := range users {
		if u.Name != changed.Name && s.canAdminister(u, now) {
			return nil
		}
	}
	return fmt.Errorf("user %q is the last admin who can act now; make another user admin "+
		"and have them enrol first: %w", changed.Name, ErrConflict)
}

// canAdminister reports whether u is an enabled admin holding a current
// identity certificate at now: enrolled since their last token, and the
// certificate not yet run out. An admin who never enrolled may have lost
// the token or let it expire, and one whose certificate ran out needs a
// token from another admin.
func (s *Service) canAdminister(u User, now time.Time) bool {
	return !u.Disabled && u.Has(RoleAdmin) && !u.EnrolledAt.IsZero() &&
		now.Before(u.IdentitySince.Add(s.identityLifetime))
}

func checkChange(name string, c UserChange) error {
	if c.Roles == nil && c.Groups == nil {
		return &InputError{Field: "roles", Problem: "nothing to change: " +
			"give roles, groups or both"}
	}
	if c.Roles != nil {
		if err := CheckUser(name, c.Roles); err != nil {
			return err
		}
	}
	return checkGroups(c.Groups)
}

// uniqueRoles returns roles sorted, each once.
func uniqueRoles(roles []Role) []Role {
	out := slices.Clone(roles)
	slices.Sort(out)
	return slices.Compact(out)
}

func joinRoles(roles []Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return strings.Join(names, ",")
}

// NewToken issues a fresh enrolment token for an existing, enabled user;
// it retires the user's earlier tokens, so that a token reissued because
// the first one leaked leaves the leaked one worthless.
func (s *Service) NewToken(ctx context.Context, actor, name string) (string, error) {
	token := newToken()
	err := s.update(ctx, func(tx Tx, fx *effects) error {
		u, err := enabledUser(tx, name)
		if err != nil {
			return err
		}

		now := s.clock()
		expires := now.Add(TokenLifetime)
		if err := tx.InsertToken(hashToken(token), name, expires); err != nil {
			return err
		}
		detail, err := retireIdentity(tx, u, now)
		if err != nil {
			return err
		}
		if err := s.audit(tx, actor, "user.token", name, detail); err != nil {
			return err
		}
		if u.EnrolledAt.IsZero() {
			return nil
		}
		// The old key may be in someone else's hands, and so may the grant
		// keys made beside it.
		return s.endUserWork(tx, fx, actor, name, "identity retired by a new enrolment token")
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// retireIdentity retires every identity certificate of u, when u has
// enrolled, and returns the audit detail that says what the new token
// ended. A user given a new
// token is enrolling again, most likely because a key was lost or stolen:
// what the old key could do must end now, not when its certificate does.
// Until they enrol again they count as not enrolled.
func retireIdentity(tx Tx, u User, now time.Time) (string, error) {
	if u.EnrolledAt.IsZero() {
		return "replaced any earlier token not yet redeemed", nil
	}

	u.IdentitySince = nextIdentity(u, now)
	u.EnrolledAt = time.Time{}
	if err := tx.UpdateUser(u); err != nil {
		return "", err
	}
	return identityDetail("retired identity certificates issued before", u), nil
}

// nextIdentity returns the IdentitySince of u's next identity certificate:
// now to the second, as certificates record time, but always later than
// the current one, so that each new certificate retires every earlier one
// even within the same second. A burst of renewals runs it ahead of the
// clock by a second each; certificates are valid from ClockSkew before
// they are issued, which absorbs bursts of up to a minute's worth.
func nextIdentity(u User, now time.Time) time.Time {
	next := now.UTC().Truncate(time.Second)
	if !next.After(u.IdentitySince) {
		next = u.IdentitySince.Add(time.Second)
	}
	return next
}

// identityDetail is an audit detail naming u's IdentitySince.
func identityDetail(what string, u User) string {
	return what + " " + u.IdentitySince.UTC().Format(time.RFC3339)
}

// enabledUser returns the user when it exists and is enabled, and
// ErrForbidden when it is disabled.
func enabledUser(tx Tx, name string) (User, error) {
	u, err := tx.User(name)
	if err != nil {
		return User{}, err
	}
	if u.Disabled {
		return User{}, fmt.Errorf("user %q is disabled: %w", name, ErrForbidden)
	}
	return u, nil
}

// actingUser returns the user when it exists, is enabled and holds role
// (any user when role is empty); ErrForbidden otherwise, an unknown user
// included.
func actingUser(tx Tx, name string, role Role) (User, error) {
	u, err := enabledUser(tx, name)
	if errors.Is(err, ErrNotFound) {
		return User{}, fmt.Errorf("user %q is not known: %w", name, ErrForbidden)
	}
	if err != nil {
		return User{}, err
	}

	if role != "" && !u.Has(role) {
		return User{}, fmt.Errorf("user %q lacks the %s role: %w",
			name, role, ErrForbidden)
	}
	return u, nil
}

// DisableUser disables a user at once: pending requests are cancelled and
// active grants revoked, and the Table told so their connections close.
func (s *Service) DisableUser(ctx context.Context, actor, name string) (User, error) {
	var u User
	err := s.update(ctx, func(tx Tx, fx *effects) error {
		var err error
		u, err = s.disable(tx, actor, name)
		if err != nil {
			return err
		}
		return s.endUserWork(tx, fx, actor, name, "user disabled")
	})
	if err != nil {
		return User{}, err
	}

	s.log.Info("user disabled", zap.String(keyUser, name))
	return u, nil
}

func (s *Service) disable(tx Tx, actor, name string) (User, error) {
	u, err := tx.User(name)
	if err != nil {
		return User{}, err
	}
	if u.Disabled {
		return User{}, fmt.Errorf("user %q is already disabled: %w", name, ErrConflict)
	}

	was := u
	u.Disabled = true
	if err := s.keepAnAdmin(tx, was, u); err != nil {
		return User{}, err
	}
	if err := tx.UpdateUser(u); err != nil {
		return User{}, err
	}
	return u, s.audit(tx, actor, "user.disable", name, "")
}

// endUserWork cancels the user's pending requests and revokes their
// active grants, for the reason why.
func (s *Service) endUserWork(tx Tx, fx *effects, actor, name, why string) error {
	pending, err := tx.Requests(RequestFilter{
		User:   name,
		States: []RequestState{RequestPending},
	})
	if err != nil {
		return err
	}
	for _, r := range pending {
		if err := s.endRequest(tx, fx, &r, RequestCancelled, actor, why); err != nil {
			return err
		}
	}

	active, err := tx.Grants(GrantFilter{User: name, States: []GrantState{GrantActive}})
	if err != nil {
		return err
	}
	for _, g := range active {
		if err := s.endGrant(tx, fx, &g, GrantRevoked, actor, why); err != nil {
			return err
		}
	}
	return nil
}

// User returns one user.
func (s *Service) User(ctx context.Context, name string) (User, error) {
	var u User
	err := s.store.View(ctx, func(tx Tx) (err error) {
		u, err = tx.User(name)
		return err
	})
	return u, err
}

// Users returns all users.
func (s *Service) Users(ctx context.Context) ([]User, error) {
	var us []User
	err := s.store.View(ctx, func(tx Tx) (err error) {
		us, err = tx.Users()
		return err
	})
	return us, err
}

// Enrol redeems a token. Inside the same transaction it calls issue with the
// user, so the token is consumed only if issuing the identity certificate
// succeeded. The user passed to issue has EnrolledAt set, and
// IdentitySince set to the time to sign the certificate at: every
// identity certificate of the user issued before it is retired.
func (s *Service) Enrol(ctx context.Context, token string, issue func(User) error,
) (User, error) {
	if issue == nil {
		return User{}, errors.New("enrol: no issue function")
	}
	if err := s.knownToken(ctx, token); err != nil {
		return User{}, err
	}

	var u User
	err := s.update(ctx, func(tx Tx, _ *effects) error {
		var err error
		u, err = s.redeem(tx, token)
		if err != nil {
			return err
		}
		if err := issue(u); err != nil {
			return fmt.Errorf("issue identity certificate for %q: %w", u.Name, err)
		}
		return s.audit(tx, u.Name, "user.enrol", u.Name, identityDetail("issued", u))
	})
	if err != nil {
		return User{}, err
	}
	return u, nil
}

// knownToken refuses, with ErrNotFound, a token that is not stored, in a
// read-only transaction: anyone can send one, and a write transaction
// would queue behind, and hold up, every change.
func (s *Service) knownToken(ctx context.Context, token string) error {
	var known bool
	err := s.store.View(ctx, func(tx Tx) (err error) {
		known, err = tx.HasToken(hashToken(token))
		return err
	})
	if err == nil && !known {
		err = fmt.Errorf("redeem: enrolment token: %w", ErrNotFound)
	}
	return err
}

// redeem takes the token and returns its enabled user with a new
// identity, enrolled now unless enrolled before.
func (s *Service) redeem(tx Tx, token string) (User, error) {
	now := s.clock()
	name, err := tx.TakeToken(hashToken(token), now)
	if err != nil {
		return User{}, fmt.Errorf("redeem: %w", err)
	}

	u, err := enabledUser(tx, name)
	if err != nil {
		return User{}, err
	}
	// Each token redeemed is an enrolment: the renewal window starts again.
	u.EnrolledAt = now
	u.IdentitySince = nextIdentity(u, now)
	return u, tx.UpdateUser(u)
}

// Renew lets user trade the identity certificate issued at issued, to the
// second, for a new one, within RenewalWindow of enrolment. Inside one
// transaction it checks that the user is enabled and enrolled and that the
// certificate has not been retired, moves IdentitySince on, which retires
// the old certificate, calls issue with the user, and audits user.renew;
// nothing changes unless issue succeeds. Sign the new certificate at the
// user's IdentitySince. A refusal is ErrForbidden.
func (s *Service) Renew(ctx context.Context, name string, issued time.Time,
	issue func(User) error) (User, error) {
	if issue == nil {
		return User{}, errors.New("renew: no issue function")
	}

	var u User
	err := s.update(ctx, func(tx Tx, _ *effects) error {
		var err error
		if u, err = s.renewable(tx, name, issued); err != nil {
			return err
		}
		u.IdentitySince = nextIdentity(u, s.clock())
		if err := tx.UpdateUser(u); err != nil {
			return err
		}
		if err := issue(u); err != nil {
			return fmt.Errorf("issue identity certificate for %q: %w", name, err)
		}
		return s.audit(tx, name, "user.renew", name, identityDetail("issued", u))
	})
	if err != nil {
		return User{}, err
	}
	return u, nil
}

// renewable returns the user when the identity certificate issued at
// issued may be renewed now: the user is enabled, enrolled within
// RenewalWindow, and the certificate is their current one.
func (s *Service) renewable(tx Tx, name string, issued time.Time) (User, error) {
	u, err := enabledUser(tx, name)
	if err != nil {
		return User{}, err
	}

	end := u.EnrolledAt.Add(RenewalWindow)
	switch {
	case u.EnrolledAt.IsZero():
		return User{}, fmt.Errorf("user %q has not enrolled: %w", name, ErrForbidden)
	case u.IdentityRetired(issued):
		return User{}, fmt.Errorf("identity certificate of %q was retired: %w",
			name, ErrForbidden)
	case !s.clock().Before(end):
		return User{}, fmt.Errorf("renewal window ended %s: %w",
			end.Format(time.RFC3339), ErrForbidden)
	}
	return u, nil
}
