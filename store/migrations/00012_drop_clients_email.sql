-- +goose Up
-- clients_email let an account find the client profiles with its email in
-- every organization. Since consent links (client_links) it finds them
-- through its links, and no query reads clients by email across
-- organizations; the index only cost every create and every email change.
DROP INDEX clients_email;

-- +goose Down
CREATE INDEX clients_email ON clients (email_key);
