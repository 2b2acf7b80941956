<%@ page session="false" contentType="text/plain" trimDirectiveWhitespaces="true" %><%= application.getAttribute("headers.hits") == null ? 0 : application.getAttribute("headers.hits") %>
