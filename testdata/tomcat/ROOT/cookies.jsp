<%@ page session="false" contentType="text/plain" trimDirectiveWhitespaces="true" %><%
response.addHeader("Set-Cookie", "a=1; Path=/");
response.addHeader("Set-Cookie", "b=2; Path=/x; HttpOnly");
response.addHeader("Set-Cookie", "c=3, d=4; Max-Age=60");
%>cookies
